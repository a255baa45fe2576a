"""The web front end: the staff console (/console/) and the customer portal (/portal/), a single-page app
served from the package's own files (src/bizext/web/), so a utility's intranet needs no CDN. It is a client
of the public API only; none of these routes appear in openapi.yaml."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from starlette.staticfiles import StaticFiles

WEB = Path(__file__).resolve().parent.parent / "web"
INDEX = WEB / "index.html"
#: The page may load only this server's scripts, styles and data; nothing may frame it.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                               "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # The shell is tiny and must follow an upgrade at once; the assets revalidate by ETag.
    "Cache-Control": "no-cache",
}


class _Assets(StaticFiles):
    """Static files that revalidate on every load (no stale app after an upgrade) and do not sniff types."""

    def file_response(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def _shell() -> FileResponse:
    return FileResponse(INDEX, media_type="text/html; charset=utf-8", headers=SECURITY_HEADERS)


def install(app: FastAPI) -> None:
    """Mount the assets and answer every client-side route of the two apps with the page shell."""
    app.mount("/static", _Assets(directory=WEB / "static"), name="static")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/console/", status_code=307)

    for base in ("console", "portal"):
        app.add_api_route(f"/{base}", lambda base=base: RedirectResponse(f"/{base}/", status_code=308),
                          methods=["GET"], include_in_schema=False)
        app.add_api_route(f"/{base}/", _shell, methods=["GET", "HEAD"], include_in_schema=False)
        app.add_api_route(f"/{base}/{{path:path}}", _shell, methods=["GET", "HEAD"], include_in_schema=False)
