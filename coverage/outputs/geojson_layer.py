"""A GeoJSON layer of the web map embedded as written, with a table tooltip per feature.

folium's ``GeoJson`` parses its data into Python objects and dumps them again into
the page; for a layer traced from a raster (a county's gap areas: a hundred thousand
vertices) that round trip was most of the time of writing ``map.html``. This layer
takes the GeoJSON text of :func:`~coverage.outputs.writers.geojson_text` as it is.
Property values must already be HTML-escaped (they are shown as HTML in the tooltip).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from branca.element import Template

from .webpage import VerbatimMacro

__all__ = ["GeoJsonText", "script_safe"]


def script_safe(text: str) -> str:
    """JSON text safe inside a ``<script>`` element (no ``</``, no JS line separators).

    Examples
    --------
    >>> script_safe('{"a": "</script>"}')
    '{"a": "<\\\\/script>"}'
    """
    return text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


class GeoJsonText(VerbatimMacro):
    """GeoJSON text drawn in its parent layer (a ``folium.FeatureGroup``).

    Parameters
    ----------
    text : str
        A GeoJSON FeatureCollection.
    style : mapping
        Leaflet path options of every feature.
    highlight : mapping
        Options set while the pointer is over a feature.
    fields : sequence of str
        Properties shown in the tooltip, one row each (name, value).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var fields = {{ this.fields|tojson }};
            var layer = L.geoJSON({{ this.text }}, {
                style: function () { return {{ this.style|tojson }}; },
                onEachFeature: function (feature, part) {
                    if (fields.length) {
                        var rows = fields.map(function (k) {
                            return "<tr><th>" + k + "</th><td>" + feature.properties[k]
                                + "</td></tr>";
                        });
                        part.bindTooltip("<table>" + rows.join("") + "</table>",
                                         {sticky: true});
                    }
                    part.on("mouseover", function () {
                        part.setStyle({{ this.highlight|tojson }});
                    });
                    part.on("mouseout", function () { layer.resetStyle(part); });
                }
            });
            layer.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        text: str,
        *,
        style: Mapping[str, Any],
        highlight: Mapping[str, Any],
        fields: Sequence[str] = (),
    ) -> None:
        super().__init__()
        self._name = "GeoJsonText"
        self.text = script_safe(text)
        self.style = dict(style)
        self.highlight = dict(highlight)
        self.fields = list(fields)
