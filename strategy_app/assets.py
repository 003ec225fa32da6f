"""Plotly's JavaScript and CSS, served by the app itself (no CDN: it works offline).

The JavaScript is the installed `plotly` package's plotly.min.js. Its URL names the
plotly.js version and a digest of the file, so it is cached for a year as immutable; it is
gzip-compressed once per process, on the first request that accepts gzip.

Under the strict CSP (style-src 'self') Plotly may not inject its <style> elements. It
makes none when the page already holds an element with id "plotly.js-style-global", and
adds no rules to it when that element has the class "no-inline-styles" (plotly.js #7109).
_charts.html's plotly_script() links that element to the stylesheet served here: the
rules Plotly would otherwise inject, read from the bundle (so they follow an upgrade).
The map library bundled with Plotly injects its own styles unless an element with its
id exists: plotly_script() adds an inert <template> with that id (no page draws maps,
which need online tiles).
"""

from __future__ import annotations

import gzip
import hashlib
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import plotly
from flask import Blueprint, Flask, url_for
from werkzeug.wrappers import Request, Response

PREFIX = "/assets"
bp = Blueprint("assets", __name__, url_prefix=PREFIX)
# Only for building URLs: _ServeAssets answers them before Flask sees the request.
bp.add_url_rule("/<name>", "file", build_only=True)

BUNDLE = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
IMMUTABLE = "public, max-age=31536000, immutable"

_STRING = r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'"""
# A key is quoted, or a bare name where the minifier dropped the quotes (Y:'...').
_RULE = re.compile(rf"\s*({_STRING}|[A-Za-z_$][\w$]*)\s*:\s*({_STRING})\s*([,}}])")
_VERSION = re.compile(rb"plotly\.js v(\d+\.\d+\.\d+[\w.-]*)")
_MAP_STYLE = re.compile(r'getElementById\("([0-9a-f]{32,64})"\)\)\{var \w+=document\.createElement')
# What plotly.js does to the selectors of its global rules (src/css/_base.scss → plotcss).
_SELECTOR_PLACEHOLDERS = {"X": ".js-plotly-plot .plotly", "Y": ".plotly-notifier"}


@dataclass
class Asset:
    """A file served under /assets/<name>, with its gzip form made on first need."""

    name: str
    mimetype: str
    body: bytes
    digest: str
    _gzipped: bytes | None = None

    def gzipped(self) -> bytes:
        """The body gzip-compressed (mtime 0: the same bytes every time)."""
        if self._gzipped is None:
            self._gzipped = gzip.compress(self.body, compresslevel=6, mtime=0)
        return self._gzipped


@dataclass(frozen=True)
class PlotlyFiles:
    """Plotly's script and stylesheet, and the id of the map styles' marker element."""

    js: Asset
    css: Asset
    map_style_id: str | None


_lock = threading.Lock()
_loaded: PlotlyFiles | None = None


def _unquote(literal: str) -> str:
    if literal[:1] not in ("'", '"'):
        return literal
    return re.sub(r"\\(.)", r"\1", literal[1:-1])


def plotly_css(source: str) -> str:
    """The global CSS rules plotly.js injects at load time, as a stylesheet."""
    start = source.find('{"X,X div":')
    if start < 0:
        raise RuntimeError("plotly.min.js: its global CSS rules were not found")
    rules, pos = [], start + 1
    while True:
        m = _RULE.match(source, pos)
        if m is None:
            raise RuntimeError("plotly.min.js: its global CSS rules could not be read")
        selector = _unquote(m[1])
        if selector.startswith(","):
            selector = " " + selector
        for placeholder, replacement in _SELECTOR_PLACEHOLDERS.items():
            selector = selector.replace(placeholder, replacement)
        rules.append(f"{selector}{{{_unquote(m[2])}}}")
        pos = m.end()
        if m[3] == "}":
            break
    for placeholder, replacement in _SELECTOR_PLACEHOLDERS.items():
        if f'replace(/{placeholder}/g,"{replacement}")' not in source:
            raise RuntimeError("plotly.min.js: its CSS selectors are built differently")
    return "/* plotly.js global styles, from plotly.min.js */\n" + "\n".join(rules) + "\n"


def _asset(stem: str, suffix: str, mimetype: str, body: bytes) -> Asset:
    digest = hashlib.sha256(body).hexdigest()
    return Asset(f"{stem}.{digest[:12]}{suffix}", mimetype, body, digest)


def load(bundle: Path = BUNDLE) -> PlotlyFiles:
    """Read the bundle once per process: its version, digest, CSS and map-style marker."""
    global _loaded
    with _lock:
        if _loaded is None:
            raw = bundle.read_bytes()
            found = _VERSION.search(raw[:500])
            if found is None:
                raise RuntimeError(f"{bundle}: no plotly.js version in its header")
            stem = f"plotly-{found[1].decode()}"
            source = raw.decode("utf-8")
            marker = _MAP_STYLE.search(source)
            _loaded = PlotlyFiles(
                js=_asset(stem, ".min.js", "text/javascript", raw),
                css=_asset(stem, ".css", "text/css", plotly_css(source).encode()),
                map_style_id=marker[1] if marker else None,
            )
        return _loaded


def urls() -> dict[str, str | None]:
    """What a page needs to draw charts: the script and stylesheet URLs, the marker id."""
    files = load()
    return {
        "js": url_for("assets.file", name=files.js.name),
        "css": url_for("assets.file", name=files.css.name),
        "map_style_id": files.map_style_id,
    }


def respond(request: Request) -> Response:
    """A versioned asset: gzip when accepted, cached for a year, 304 on a matching ETag."""
    files = load()
    name = request.path.removeprefix(PREFIX + "/")
    asset = next((a for a in (files.js, files.css) if a.name == name), None)
    if asset is None or request.method not in ("GET", "HEAD"):
        return Response("Not found", status=404, mimetype="text/plain")
    gzipped = request.accept_encodings["gzip"] > 0
    etag = asset.digest[:32] + ("-gzip" if gzipped else "")
    headers = {
        "Cache-Control": IMMUTABLE,
        "ETag": f'"{etag}"',
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Resource-Policy": "same-origin",
    }
    if request.if_none_match.contains_weak(etag):
        return Response(status=304, headers=headers)
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    body = asset.gzipped() if gzipped else asset.body
    return Response(body, mimetype=asset.mimetype, headers=headers)


class _ServeAssets:
    """WSGI middleware: answers /assets/… before Flask.

    So an asset response never opens the session (a signed-in user's cookie would be
    refreshed on it, and a shared cache must not keep a Set-Cookie), loads no user and
    touches no database.
    """

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith(PREFIX + "/"):
            return respond(Request(environ))(environ, start_response)
        return self.wsgi_app(environ, start_response)


def register(app: Flask) -> None:
    """Serve the assets, and add the `plotly_assets()` template global used by _charts.html.

    The blueprint only names the URLs (url_for("assets.file", name=...)); the middleware
    answers them.
    """
    app.register_blueprint(bp)
    app.add_template_global(urls, "plotly_assets")
    app.wsgi_app = _ServeAssets(app.wsgi_app)
