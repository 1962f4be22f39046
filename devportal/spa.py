"""A single-page app served from a directory (``DEVPORTAL_SPA_DIR``, ``serve --spa``).

Files are served at the root, below devportal's own routes; a path with no file
extension that is not a file is the app's own route (``/login``,
``/applications``, where mailed links point) and gets its ``index.html``. HTML
carries the headers of every devportal page: scripts, styles and connections
from this origin only, never framed, no referrer; every file ``nosniff``.
"""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from devportal.pages import APP_POLICY, html_headers

INDEX = "index.html"


class SinglePageApp(StaticFiles):
    def __init__(self, directory: Path) -> None:
        super().__init__(directory=directory, html=True, check_dir=True)

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            response = await super().get_response(path, scope)
        except HTTPException as error:
            if error.status_code != 404 or "." in path.rsplit("/", 1)[-1]:
                raise
            response = await super().get_response(INDEX, scope)
        if response.media_type == "text/html" or path in ("", ".", INDEX):
            response.headers.update(html_headers(APP_POLICY))
        else:
            response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def spa_routes(directory: Path | None) -> list[Mount]:
    """Last among the routes: it answers any path the others do not."""
    return [Mount("/", SinglePageApp(directory))] if directory is not None else []
