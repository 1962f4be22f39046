"""GraphiQL, served by devportal itself: no CDN, so it works offline and under a strict CSP.

The browser assets are vendored from npm at pinned versions by
``scripts/vendor_graphiql.sh`` into ``devportal/static/graphiql/vendor``, with a
``manifest.json`` holding each file's SHA-384: the page's ``integrity``
attributes come from it, so a file changed after vendoring is refused by the
browser. The page's own script (the fetcher, the log-in panel) sits beside it.

Hardening kept from before: GraphiQL never persists the headers tab (an admin's
token) in the browser's storage, and never takes an operation or headers from
the page's URL (a link cannot open it with a mutation ready to run).
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from html import escape
from importlib.resources import files
from importlib.resources.abc import Traversable

from starlette.responses import HTMLResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from devportal.pages import APP_POLICY, html_headers

ASSETS_PATH = "/graphiql-assets"
_SCRIPTS = ("react.production.min.js", "react-dom.production.min.js", "graphiql.min.js")
_PLUGINS = ("plugin-explorer.umd.js",)
_STYLES = ("graphiql.min.css", "plugin-explorer.css")
_OWN = ("devportal-graphiql.js", "devportal-graphiql.css")


def _assets() -> Traversable:
    return files("devportal") / "static" / "graphiql"


def _digest(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


@cache
def integrity() -> dict[str, str]:
    """Each served file's SRI hash: vendored files' from the manifest, our own computed."""
    manifest = json.loads((_assets() / "vendor" / "manifest.json").read_text())
    hashes = {f"vendor/{name}": entry["integrity"] for name, entry in manifest.items()}
    for name in _OWN:
        hashes[name] = _digest((_assets() / name).read_bytes())
    return hashes


def _script(path: str) -> str:
    url = escape(f"{ASSETS_PATH}/{path}")
    return f'<script src="{url}" integrity="{integrity()[path]}"></script>'


def _style(path: str) -> str:
    url = escape(f"{ASSETS_PATH}/{path}")
    return f'<link rel="stylesheet" href="{url}" integrity="{integrity()[path]}">'


@cache
def page_html() -> str:
    styles = [_style(f"vendor/{name}") for name in _STYLES] + [_style("devportal-graphiql.css")]
    scripts = [_script(f"vendor/{name}") for name in (*_SCRIPTS, *_PLUGINS)]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>devportal GraphiQL</title>
{chr(10).join(styles)}
</head><body>
<div id="graphiql">Loading GraphiQL…</div>
{chr(10).join(scripts)}
{_script("devportal-graphiql.js")}
</body></html>"""


def graphiql_page() -> HTMLResponse:
    return HTMLResponse(page_html(), headers=html_headers(APP_POLICY))


class _Assets(StaticFiles):
    """The page's files, never sniffed into another type."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_nosniff(message: Message) -> None:
            if message["type"] == "http.response.start":
                nosniff = (b"x-content-type-options", b"nosniff")
                message = {**message, "headers": [*message.get("headers", []), nosniff]}
            await send(message)

        await super().__call__(scope, receive, send_nosniff)


def asset_routes() -> list[Mount]:
    return [Mount(ASSETS_PATH, _Assets(packages=[("devportal", "static/graphiql")]))]
