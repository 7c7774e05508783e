"""Downloading one file into the cache folder: resume, verification, progress.

A file is downloaded to ``<cache>/<host>/<path of the URL>.part`` and renamed to its
final name only once it is complete and verified, so a file present in the cache
under its final name is always whole (a *cache hit* needs no network at all).

* **Resume.** An interrupted transfer leaves the ``.part`` file; the next call asks
  the server for the rest (HTTP ``Range``). A server that ignores ranges (answers
  200 instead of 206) is downloaded again from the start.
* **Verification.** The size must equal ``Content-Length`` (or the total of
  ``Content-Range``). When ``checksum="auto"`` the server is asked for a sidecar
  ``<url>.sha256`` and then ``<url>.md5`` (Geofabrik publishes ``.md5``); when one
  exists the file's digest must match it. On a mismatch the partial file is removed
  and no final file is written.
* **Progress.** A tqdm bar in bytes, starting from the resumed size.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from .. import __version__
from ..errors import DownloadError, InputError
from ..paths import CACHE_ENV, default_cache_dir

__all__ = ["CACHE_ENV", "Download", "cache_path", "default_cache_dir", "download"]

#: Environment variable naming the cache folder (overrides the platform default).

_CHUNK = 1 << 16
_HEX = re.compile(r"\b([0-9a-fA-F]{64}|[0-9a-fA-F]{32})\b")


@dataclass(frozen=True)
class Download:
    """One downloaded (or cached) file.

    Attributes
    ----------
    url : str
        Where it came from.
    path : pathlib.Path
        The complete file in the cache.
    size_bytes : int
        Its size.
    from_cache : bool
        True if the file was already in the cache (no network used).
    resumed_from_bytes : int
        Bytes already present in a ``.part`` file when the transfer resumed (0: fresh).
    verified : str
        How it was checked: ``"sha256"``, ``"md5"``, ``"size"`` (Content-Length only)
        or ``"cache"`` (checked when it was first downloaded).
    """

    url: str
    path: Path
    size_bytes: int
    from_cache: bool
    resumed_from_bytes: int
    verified: str

    def __repr__(self) -> str:
        how = "cache hit" if self.from_cache else f"downloaded, verified by {self.verified}"
        if self.resumed_from_bytes:
            how += f", resumed at {self.resumed_from_bytes:,} bytes"
        return f"Download({self.url!r} -> {self.path.name}, {self.size_bytes:,} bytes, {how})"


def cache_path(url: str, cache_dir: str | os.PathLike[str]) -> Path:
    """Where ``url`` is kept in the cache: ``<cache_dir>/<host>/<path of the URL>``.

    Parameters
    ----------
    url : str
        An http(s) URL.
    cache_dir : path-like
        The cache folder.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> cache_path("https://example.org/asia/china/zhejiang-latest.osm.pbf", "/c").as_posix()
    '/c/example.org/asia/china/zhejiang-latest.osm.pbf'
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"{url}: not an http(s) URL; check the URL template")
    host = re.sub(r"[^A-Za-z0-9._-]", "_", parts.netloc)
    segments = [
        re.sub(r"[^\w.+-]", "_", urllib.parse.unquote(s))
        for s in parts.path.split("/")
        if s not in ("", ".", "..")
    ]
    if not segments:
        raise InputError(f"{url}: the URL names no file; check the URL template")
    if parts.query:
        segments[-1] += "-" + hashlib.sha256(parts.query.encode()).hexdigest()[:12]
    return Path(cache_dir, host, *segments)


def _request(url: str, headers: dict[str, str] | None = None) -> urllib.request.Request:
    return urllib.request.Request(
        url, headers={"User-Agent": f"coverage15/{__version__}", **(headers or {})}
    )


def _http_error(url: str, exc: urllib.error.HTTPError) -> DownloadError:
    hint = {
        404: "the file is not on the server; check the name (region, ISO3 code, year, tile) "
        "or the URL template",
        403: "the server refused access; try a mirror with --url-template",
        429: "the server asks to slow down; wait and run again",
    }.get(exc.code, "run again later or try a mirror with --url-template")
    return DownloadError(f"{url}: HTTP {exc.code} {exc.reason}; {hint}")


def _url_error(url: str, exc: BaseException) -> DownloadError:
    reason = getattr(exc, "reason", exc)
    return DownloadError(
        f"{url}: cannot connect ({reason}); check the network, proxy or the URL template"
    )


def _sidecar_digest(url: str, timeout: float) -> tuple[str, str] | None:
    """(algorithm, hex digest) from ``<url>.sha256`` or ``<url>.md5``, if the server has one."""
    for algorithm in ("sha256", "md5"):
        try:
            with urllib.request.urlopen(_request(f"{url}.{algorithm}"), timeout=timeout) as resp:
                text = resp.read(4096).decode("ascii", "replace")
        except urllib.error.HTTPError as exc:
            if exc.code in (403, 404, 410):
                continue
            raise _http_error(f"{url}.{algorithm}", exc) from None
        except (urllib.error.URLError, OSError) as exc:
            raise _url_error(f"{url}.{algorithm}", exc) from None
        match = _HEX.search(text)
        if match and len(match.group(1)) == (64 if algorithm == "sha256" else 32):
            return algorithm, match.group(1).lower()
        raise DownloadError(
            f"{url}.{algorithm}: the checksum file holds no {algorithm} digest; "
            "use --no-checksum to skip it"
        )
    return None


def _parse_checksum(checksum: str) -> tuple[str, str]:
    algorithm, _, digest = checksum.partition(":")
    algorithm = algorithm.lower()
    size = {"sha256": 64, "md5": 32}.get(algorithm)
    if size is None or not re.fullmatch(rf"[0-9a-fA-F]{{{size}}}", digest):
        raise InputError(
            f"checksum {checksum!r} is not understood; give 'auto', None, "
            "'sha256:<64 hex digits>' or 'md5:<32 hex digits>'"
        )
    return algorithm, digest.lower()


def _file_digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _content_range_total(value: str | None) -> tuple[int | None, int | None]:
    """(start, total) of a ``Content-Range: bytes a-b/total`` header."""
    match = re.fullmatch(r"\s*bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)\s*", value or "")
    if not match:
        return None, None
    start = int(match.group(1)) if match.group(1) else None
    total = int(match.group(2)) if match.group(2) != "*" else None
    return start, total


def _transfer(
    url: str, part: Path, *, timeout: float, progress: bool, label: str
) -> tuple[int, int | None]:
    """Fetch the (rest of the) file into ``part``; returns (resumed_from, expected size)."""
    offset = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    try:
        resp = urllib.request.urlopen(_request(url, headers), timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:
            _, total = _content_range_total(exc.headers.get("Content-Range"))
            if total == offset:  # the partial file was already complete
                return offset, total
            part.unlink()  # the partial file is longer than the file now on the server
            return _transfer(url, part, timeout=timeout, progress=progress, label=label)
        raise _http_error(url, exc) from None
    except (urllib.error.URLError, OSError) as exc:
        raise _url_error(url, exc) from None
    with resp:
        start, total = _content_range_total(resp.headers.get("Content-Range"))
        if resp.status == 206 and not (offset and start == offset):
            part.unlink(missing_ok=True)
            raise DownloadError(
                f"{url}: the server sent bytes from {start} when asked for {offset}; "
                "the partial download was removed, run again to download it afresh"
            )
        if offset and resp.status == 206:
            mode = "ab"
        else:  # fresh download, or the server ignored the range
            offset, mode = 0, "wb"
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
        written = offset
        with (
            open(part, mode) as handle,
            tqdm(
                total=total,
                initial=offset,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=label,
                disable=not progress,
                leave=False,
            ) as bar,
        ):
            try:
                while chunk := resp.read(_CHUNK):
                    handle.write(chunk)
                    written += len(chunk)
                    bar.update(len(chunk))
            except (TimeoutError, http.client.HTTPException, OSError) as exc:
                raise DownloadError(
                    f"{url}: transfer interrupted after {written:,} of "
                    f"{'?' if total is None else f'{total:,}'} bytes ({type(exc).__name__}); "
                    "run the same command again to resume"
                ) from None
    return offset, total


def download(
    url: str,
    *,
    cache_dir: str | os.PathLike[str] | None = None,
    checksum: str | None = "auto",
    progress: bool = True,
    timeout: float = 60.0,
    refresh: bool = False,
) -> Download:
    """Download ``url`` into the cache (or find it there), resuming and verifying.

    Parameters
    ----------
    url : str
        An http(s) URL.
    cache_dir : path-like, optional
        Cache folder (default :func:`default_cache_dir`).
    checksum : str or None
        ``"auto"``: verify against ``<url>.sha256`` or ``<url>.md5`` when the server
        has one; ``"sha256:<hex>"`` or ``"md5:<hex>"``: the expected digest; ``None``:
        verify the size only.
    progress : bool
        Show a progress bar.
    timeout : float
        Seconds to wait for the server before giving up.
    refresh : bool
        Download again even if the file is in the cache.

    Returns
    -------
    Download

    Raises
    ------
    DownloadError
        On an HTTP error, an unreachable host, a truncated transfer (the ``.part``
        file is kept; calling again resumes) or a checksum mismatch (the ``.part``
        file is removed and no final file is written).
    InputError
        If the URL or the checksum argument is malformed.
    """
    final = cache_path(url, cache_dir if cache_dir is not None else default_cache_dir())
    if final.is_file() and not refresh:
        return Download(url, final, final.stat().st_size, True, 0, "cache")
    if checksum == "auto":
        expected = _sidecar_digest(url, timeout)
    elif checksum is None or checksum == "none":
        expected = None
    else:
        expected = _parse_checksum(checksum)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"{final.parent}: cannot create the cache folder ({exc.strerror}); "
            "choose another with --cache-dir"
        ) from None
    part = final.with_name(final.name + ".part")
    if refresh:
        part.unlink(missing_ok=True)  # never splice an old partial file into a fresh download
    resumed, total = _transfer(url, part, timeout=timeout, progress=progress, label=final.name)
    size = part.stat().st_size
    if total is not None and size != total:
        raise DownloadError(
            f"{url}: truncated download ({size:,} of {total:,} bytes); "
            "run the same command again to resume"
        )
    verified = "size" if total is not None else "none"
    if expected is not None:
        algorithm, digest = expected
        actual = _file_digest(part, algorithm)
        if actual != digest:
            part.unlink()
            raise DownloadError(
                f"{url}: checksum mismatch ({algorithm} expected {digest}, got {actual}); "
                "the damaged download was removed, run again to download it afresh"
            )
        verified = algorithm
    os.replace(part, final)
    return Download(url, final, size, False, resumed, verified)
