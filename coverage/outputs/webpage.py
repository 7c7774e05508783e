"""Text and pages for the browser: escaping, number formatting, self-contained HTML.

:func:`map_html` turns a folium map into one self-contained page: Leaflet and jQuery
(vendored in ``coverage/outputs/assets`` with their licences) are inlined, folium's
other CDN links (Bootstrap, Font Awesome; unused here) are dropped, so nothing but
basemap tiles is fetched at view time.

Every text that comes from an input file (names, tiers, unit names) goes through
:func:`escape`, safe for HTML, for the JavaScript template strings folium puts
popups and tooltips in, and for the second template pass below.

branca renders each folium element's script and then compiles that *output* as a new
Jinja template (``MacroElement.render`` wraps it in ``Element(text)``), so a name
holding ``{{ ... }}`` would be evaluated as Python-reachable template code while the
page is written. The package's own elements therefore add their text as
:class:`Verbatim` (never compiled; :class:`VerbatimMacro` for template-built ones),
and :func:`escape` turns braces into character references for the text folium's own
elements carry.
"""

from __future__ import annotations

import base64
import html
import os
import re
from pathlib import Path

import folium
import numpy as np
from branca.element import Element, Figure, MacroElement

from ..errors import CoverageError
from .writers import atomic_path

__all__ = [
    "ASSETS",
    "OfflineFigure",
    "Verbatim",
    "VerbatimMacro",
    "escape",
    "fmt",
    "inline_assets",
    "map_html",
    "offline_map",
    "save_map",
]

ASSETS = Path(__file__).with_name("assets")


def escape(value: object) -> str:
    """Text made safe for HTML, a JavaScript template string and a Jinja template.

    folium puts popups and tooltips inside JavaScript template literals, where a
    backtick, ``${`` or a backslash would end or change the string, and branca
    compiles every element's output once more as a Jinja template, where ``{{``,
    ``{%`` or ``{#`` would run; all of them become character references (shown as
    the same characters).

    Examples
    --------
    >>> escape('<script>alert("x")</script>`${1}`')
    '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#96;&#36;&#123;1&#125;&#96;'
    >>> escape("{{ 7*7 }}")
    '&#123;&#123; 7*7 &#125;&#125;'
    """
    return html.escape(str(value), quote=True).translate(_JS_JINJA)


_JS_JINJA = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;", "{": "&#123;", "}": "&#125;"})


def fmt(value: object, spec: str = ",.0f") -> str:
    """A number formatted with ``spec`` (``-`` when missing); other values escaped.

    Examples
    --------
    >>> fmt(1234.5), fmt(float("nan")), fmt("<b>")
    ('1,234', '-', '&lt;b&gt;')
    """
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "-" if value is None else escape(value)
    return "-" if not np.isfinite(number) else format(number, spec)


#: folium's CDN files -> the vendored file that replaces them (None: unused, dropped).
_CDN_FILES: dict[str, str | None] = {
    "leaflet.js": "leaflet.js",
    "leaflet.css": "leaflet.css",
    "jquery-3.7.1.min.js": "jquery.min.js",
    "bootstrap.bundle.min.js": None,
    "bootstrap.min.css": None,
    "bootstrap-glyphicons.css": None,
    "all.min.css": None,
    "leaflet.awesome-markers.js": None,
    "leaflet.awesome-markers.css": None,
    "leaflet.awesome.rotate.min.css": None,
}
_TAG = re.compile(
    r'<script src="(?P<js>[^"]+)"></script>|<link rel="stylesheet" href="(?P<css>[^"]+)"\s*/?>'
)


def _asset_text(name: str) -> str:
    text = (ASSETS / name).read_text(encoding="utf-8")
    if name.endswith(".css"):

        def inline(match: re.Match[str]) -> str:
            data = (ASSETS / match.group(1)).read_bytes()
            return "url(data:image/png;base64," + base64.b64encode(data).decode("ascii") + ")"

        text = re.sub(r"url\((images/[\w.-]+\.png)\)", inline, text)
    return text


def inline_assets(page: str) -> str:
    """A rendered page with folium's CDN scripts and styles replaced by the vendored ones.

    Raises
    ------
    CoverageError
        If the page would still load a script or style sheet from the network (a
        folium element whose library is not vendored).
    """

    def replace(match: re.Match[str]) -> str:
        url = match.group("js") or match.group("css")
        name = url.rsplit("/", 1)[-1]
        if name not in _CDN_FILES:
            raise CoverageError(
                f"map element needs {url}, which coverage15 does not vendor; "
                "add it to coverage/outputs/assets"
            )
        asset = _CDN_FILES[name]
        if asset is None:
            return ""
        text = _asset_text(asset)
        if match.group("js"):
            return f"<script>{text}</script>"
        return f"<style>{text}</style>"

    return _TAG.sub(replace, page)


class Verbatim(Element):
    """Page text added as it is: unlike ``folium.Element``, never compiled as a template.

    Parameters
    ----------
    text : str
        HTML, CSS or script for the page's header, body or script part.
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Verbatim"
        self.text = text

    def render(self, **kwargs: object) -> str:
        """The text, unchanged."""
        return self.text


class VerbatimMacro(MacroElement):
    """A ``MacroElement`` whose rendered macros go into the page as they are.

    branca wraps each macro's output in ``Element(output)``, which compiles the output
    as a new template: a second Jinja pass over data (a name with ``{{ ... }}`` would
    run) and, for a layer of a hundred thousand vertices, most of the time of writing
    the page. Here the output is added as :class:`Verbatim`; children render as usual.
    """

    def render(self, **kwargs: object) -> str:
        """Add the macros' output to the page's parts; the page is the figure's render."""
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise CoverageError(f"{type(self).__name__} must be on a map before it is rendered")
        macros = self._template.module.__dict__
        for part in ("header", "html", "script"):
            macro = macros.get(part)
            if macro is not None:
                target = getattr(figure, part)
                target.add_child(Verbatim(macro(self, kwargs)), name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)
        return ""


class OfflineFigure(Figure):
    """A folium page that renders self-contained, in a file and in Jupyter alike.

    ``render()`` (used by ``save``, by :func:`map_html` and by the notebook display,
    which puts the page in an iframe) inlines the vendored assets, so a map shown in a
    notebook on a machine without internet draws as ``map.html`` does.
    """

    def render(self, **kwargs: object) -> str:
        return inline_assets(super().render(**kwargs))


def offline_map(**kwargs: object) -> folium.Map:
    """A :class:`folium.Map` whose page is an :class:`OfflineFigure` (no CDN at view time)."""
    fmap = folium.Map(**kwargs)  # type: ignore[arg-type]
    OfflineFigure().add_child(fmap)
    return fmap


def map_html(fmap: folium.Map) -> str:
    """The map as one self-contained HTML page (scripts and styles inline).

    Raises
    ------
    CoverageError
        If the page would still load a script or style sheet from the network (a
        folium element whose library is not vendored).
    """
    root = fmap.get_root()
    page = root.render()
    # a map of :func:`offline_map` renders inlined already; any other is inlined here
    return page if isinstance(root, OfflineFigure) else inline_assets(page)


def save_map(fmap: folium.Map, path: str | os.PathLike[str]) -> Path:
    """Write the map as a self-contained HTML page, atomically.

    Parameters
    ----------
    fmap : folium.Map
        From :func:`coverage_map`.
    path : path-like
        The ``.html`` file.

    Returns
    -------
    pathlib.Path
    """
    with atomic_path(path) as tmp:
        tmp.write_text(map_html(fmap), encoding="utf-8")
    return Path(path)
