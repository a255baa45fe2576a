"""The console and portal are served by bizext itself: the page shell for every client-side route, the
assets (the vendored libraries too) from the package, none of it in the OpenAPI document."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from bizext.api import frontend

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", ["/console/", "/console/work", "/console/projects/3f2c/anything",
                                  "/portal/", "/portal/projects/3f2c"])
def test_every_client_side_route_gets_the_page_shell_with_a_strict_policy(client, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/static/app.js">' in r.text
    policy = r.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "script-src" not in policy  # scripts fall back to 'self': no inline script, no other origin
    assert r.headers["cache-control"] == "no-cache"


def test_the_bare_paths_lead_to_the_apps(client) -> None:
    assert client.get("/", follow_redirects=False).headers["location"] == "/console/"
    assert client.get("/console", follow_redirects=False).headers["location"] == "/console/"
    assert client.get("/portal", follow_redirects=False).headers["location"] == "/portal/"


def test_assets_are_served_from_the_package(client) -> None:
    app = client.get("/static/app.js")
    assert app.status_code == 200 and "javascript" in app.headers["content-type"]
    assert app.headers["x-content-type-options"] == "nosniff"
    for vendored in ("preact.module.js", "preact-hooks.module.js", "htm.module.js", "chart.umd.min.js"):
        assert client.get(f"/static/vendor/{vendored}").status_code == 200
    assert client.get("/static/nope.js").status_code == 404
    assert client.get("/static/../api/app.py").status_code == 404


def test_no_page_or_asset_is_in_the_openapi_document(client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if not p.startswith("/v1/") and p not in {"/healthz", "/readyz", "/metrics"}]


def test_nothing_is_fetched_from_another_origin() -> None:
    """Offline on an intranet: no page or script names an http(s) address to load."""
    for f in [*frontend.WEB.glob("*.html"), *frontend.WEB.glob("static/*.js"), *frontend.WEB.glob("static/*/*.js"),
              *frontend.WEB.glob("static/*.css")]:
        if "vendor" in f.parts:
            continue
        assert not re.search(r"(src|href|import)[^\n]{0,20}https?://", f.read_text()), f


def test_the_vendored_libraries_are_the_locked_versions() -> None:
    lock = json.loads((REPO / "web" / "package-lock.json").read_text())["packages"]
    vendored = dict(line.split() for line in (frontend.WEB / "static" / "vendor" / "VERSIONS").read_text().splitlines())
    assert vendored == {name: lock[f"node_modules/{name}"]["version"] for name in vendored}
    declared = json.loads((REPO / "web" / "package.json").read_text())["dependencies"]
    assert all(lock[f"node_modules/{name}"]["version"] == version for name, version in declared.items())


def test_the_package_data_covers_every_file_of_the_front_end() -> None:
    """A non-editable install ships what the package-data globs name: every file under src/bizext/web."""
    globs = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["bizext"]
    package = frontend.WEB.parent
    covered = {p for g in globs for p in package.glob(g) if p.is_file()}
    files = {p for p in frontend.WEB.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert files and files <= covered, sorted(str(p) for p in files - covered)
