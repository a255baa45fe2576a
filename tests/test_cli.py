"""The `bizext` command: openapi (write and --check), migrate, tokens create, demo."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select
from typer.testing import CliRunner

from bizext.api.app import create_app
from bizext.cli import app as cli
from bizext.config import Settings
from bizext.db import migrations
from bizext.db.models import Base, Project, TransitionRecord
from bizext.db.session import Database

ADMIN = "cli-test-admin-token"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file that does not exist yet."""
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture
def opened() -> Iterator[list[Database]]:
    """Databases a test opens to look at what the command did; disposed at the end."""
    databases: list[Database] = []
    yield databases
    for database in databases:
        database.dispose()


def _invoke(runner: CliRunner, args: list[str], url: str | None = None):  # type: ignore[no-untyped-def]
    env = {"BIZEXT_DATABASE_URL": url} if url else None
    return runner.invoke(cli, args, env=env, catch_exceptions=False)


def _open(url: str, opened: list[Database]) -> Database:
    database = Database(url, pool_size=1)
    opened.append(database)
    return database


def test_openapi_check_passes_on_a_freshly_written_file(runner, tmp_path):
    spec = tmp_path / "openapi.yaml"

    written = _invoke(runner, ["openapi", "--output", str(spec)])
    checked = _invoke(runner, ["openapi", "--check", "--output", str(spec)])

    assert written.exit_code == 0, written.output
    document = yaml.safe_load(spec.read_text(encoding="utf-8"))
    assert document["openapi"].startswith("3.")
    assert "/v1/projects/{project_id}/transitions" in document["paths"]
    assert checked.exit_code == 0, checked.output
    assert "up to date" in checked.output


@pytest.mark.parametrize("change", ["edited", "missing"])
def test_openapi_check_fails_when_the_file_differs_from_the_app(runner, tmp_path, change):
    spec = tmp_path / "openapi.yaml"
    assert _invoke(runner, ["openapi", "--output", str(spec)]).exit_code == 0
    if change == "edited":
        spec.write_text(spec.read_text(encoding="utf-8").replace("title: bizext", "title: bizext (stale)", 1),
                        encoding="utf-8")
    else:
        spec.unlink()

    result = _invoke(runner, ["openapi", "--check", "--output", str(spec)])

    assert result.exit_code != 0
    assert "out of date" in result.output
    if change == "edited":
        assert "(stale)" in spec.read_text(encoding="utf-8"), "--check must not rewrite the file"
    else:
        assert not spec.exists(), "--check must not write the file"


def test_migrate_builds_the_schema_on_a_new_sqlite_file(runner, sqlite_url, opened):
    result = _invoke(runner, ["migrate"], sqlite_url)

    assert result.exit_code == 0, result.output
    database = _open(sqlite_url, opened)
    current, head = migrations.current_and_head(database.engine)
    assert current == head is not None
    assert f"database at revision {head}" in result.output
    assert set(Base.metadata.tables) <= set(inspect(database.engine).get_table_names())


def test_migrate_twice_is_harmless(runner, sqlite_url):
    assert _invoke(runner, ["migrate"], sqlite_url).exit_code == 0

    again = _invoke(runner, ["migrate"], sqlite_url)

    assert again.exit_code == 0, again.output


def test_tokens_create_prints_a_client_token_that_the_api_accepts(runner, sqlite_url, opened):
    assert _invoke(runner, ["migrate"], sqlite_url).exit_code == 0

    result = _invoke(runner, ["tokens", "create", "--client", "ci", "--role", "integration"], sqlite_url)

    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("bxt_") and len(token) > 20 and "\n" not in token
    database = _open(sqlite_url, opened)
    with TestClient(create_app(Settings(database_url=sqlite_url), database=database)) as client:
        allowed = client.get("/v1/projects", headers={"Authorization": f"Bearer {token}"})
        refused = client.get("/v1/projects", headers={"Authorization": "Bearer bxt_not-a-token"})
    assert allowed.status_code == 200, allowed.text
    assert refused.status_code == 401


def test_tokens_create_refuses_a_request_without_a_principal(runner, sqlite_url):
    assert _invoke(runner, ["migrate"], sqlite_url).exit_code == 0

    result = _invoke(runner, ["tokens", "create"], sqlite_url)

    assert result.exit_code == 2
    assert "bxt_" not in result.stdout
    assert "exactly one of" in result.stderr


def test_demo_on_a_new_sqlite_file_loads_projects_moved_through_their_workflows(runner, sqlite_url, opened):
    result = _invoke(runner, ["demo"], sqlite_url)

    assert result.exit_code == 0, result.output
    assert "demo data loaded" in result.output
    assert "bxt_" in result.output
    database = _open(sqlite_url, opened)
    with database.engine.connect() as conn:
        projects = conn.execute(select(func.count()).select_from(Project)).scalar_one()
        moved = conn.execute(select(func.count(func.distinct(TransitionRecord.project_id)))).scalar_one()
        states = set(conn.execute(select(Project.state).distinct()).scalars())
    assert projects >= 3
    assert moved >= 2, "demo projects are moved along their workflows"
    assert len(states) >= 3, states
    with TestClient(create_app(Settings(database_url=sqlite_url, admin_token=ADMIN), database=database)) as client:
        listed = client.get("/v1/projects", params={"limit": 200}, headers={"Authorization": f"Bearer {ADMIN}"})
    assert listed.status_code == 200, listed.text
    assert len(listed.json()["items"]) == projects


def test_tokens_create_refuses_an_unknown_client_role_and_an_overlong_name(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from bizext.cli import app

    monkeypatch.setenv("BIZEXT_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    bad_role = runner.invoke(app, ["tokens", "create", "--client", "ci", "--role", "superuser"])
    assert bad_role.exit_code == 2 and "superuser" in bad_role.output
    long_name = runner.invoke(app, ["tokens", "create", "--client", "x" * 201, "--role", "integration"])
    assert long_name.exit_code == 2


def test_workflows_doc_is_generated_from_the_definitions_and_checked(tmp_path):
    from typer.testing import CliRunner

    from bizext.cli import app

    target = tmp_path / "workflows.md"
    runner = CliRunner()
    assert runner.invoke(app, ["workflows-doc", "--output", str(target)]).exit_code == 0
    text = target.read_text(encoding="utf-8")
    assert "## hv-standard v1" in text and "stateDiagram-v2" in text and "| scheme_reply | single 15, dual 30 |" in text
    assert runner.invoke(app, ["workflows-doc", "--check", "--output", str(target)]).exit_code == 0
    target.write_text(text + "edited", encoding="utf-8")
    assert runner.invoke(app, ["workflows-doc", "--check", "--output", str(target)]).exit_code == 1


def test_the_listener_handed_to_server_processes_is_marked_tcp_so_responses_are_not_delayed():
    import socket

    import uvicorn

    from bizext.cli import _keep_tcp_nodelay_with_workers

    _keep_tcp_nodelay_with_workers(uvicorn)
    listener = uvicorn.Config(app="bizext.api.app:create_app", host="127.0.0.1", port=0).bind_socket()
    try:
        assert listener.proto == socket.IPPROTO_TCP
        listener.listen()
        client = socket.create_connection(listener.getsockname())
        accepted, _ = listener.accept()
        assert accepted.proto == socket.IPPROTO_TCP  # what asyncio checks before setting TCP_NODELAY
        accepted.close()
        client.close()
    finally:
        listener.close()


def test_the_served_app_keeps_what_startup_built_out_of_the_collector(monkeypatch, runner, sqlite_url):
    """`bizext serve` builds its app through create_served_app: the startup heap (modules, the registry, the
    calendar cache, the app) is frozen, so that a full collection during a request does not walk it (one took
    118 ms in a heap of 250k objects in a profile of transitions)."""
    import gc

    import uvicorn

    from bizext.api.app import create_served_app

    served: list[tuple[str, dict]] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **options: served.append((target, options)))
    monkeypatch.setattr("bizext.logs.configure_json_logging", lambda: None)  # the test run's logging stays
    assert _invoke(runner, ["serve", "--no-worker"], sqlite_url).exit_code == 0
    assert served == [("bizext.api.app:create_served_app", served[0][1])] and served[0][1]["factory"] is True
    # the C loop and parser by name (uvicorn's "auto" would fall back to asyncio and h11 without a word)
    assert (served[0][1]["loop"], served[0][1]["http"]) == ("uvloop", "httptools")

    monkeypatch.setenv("BIZEXT_DATABASE_URL", sqlite_url)
    gc.unfreeze()
    try:
        app = create_served_app()
        assert gc.get_freeze_count() > 10_000
        app.state.database.dispose()
    finally:
        gc.unfreeze()
