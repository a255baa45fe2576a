"""The `bizext` command: serve, migrate, openapi, tokens, users, demo."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Annotated, Optional

import typer
import yaml

from bizext import clock
from bizext.config import Settings

app = typer.Typer(help="bizext: business-expansion workflow engine for electric utilities.",
                  no_args_is_help=True, add_completion=False)
tokens_app = typer.Typer(help="API tokens.", no_args_is_help=True)
app.add_typer(tokens_app, name="tokens")
escalations_app = typer.Typer(help="Escalation checks (for cron or a Kubernetes CronJob).", no_args_is_help=True)
app.add_typer(escalations_app, name="escalations")
users_app = typer.Typer(help="People's sign-in (staff and customers).", no_args_is_help=True)
app.add_typer(users_app, name="users")

OPENAPI_FILE = Path("openapi.yaml")


def _database():  # type: ignore[no-untyped-def]
    from bizext.db.session import Database

    settings = Settings()
    return Database(settings.database_url, pool_size=2)


@app.command()
def migrate(revision: str = "head") -> None:
    """Upgrade the database (BIZEXT_DATABASE_URL) to the latest schema."""
    from bizext.db.migrations import current_and_head, upgrade

    db = _database()
    upgrade(db.engine, revision)
    current, _ = current_and_head(db.engine)
    typer.echo(f"database at revision {current}")


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000,
          workers: Annotated[int, typer.Option(min=1, help="server processes")] = 1,
          worker: Annotated[bool, typer.Option(help="also run the escalation worker in this process")] = True,
          ) -> None:
    """Serve the API (migrating first if the database is new), with the escalation worker unless told not to."""
    import uvicorn

    from bizext.logs import configure_json_logging
    from bizext.db.migrations import is_new, upgrade
    from bizext.worker import start_in_background

    db = _database()
    if is_new(db.engine):
        typer.echo("new database: migrating to head")
        upgrade(db.engine)
    configure_json_logging()
    if worker:
        start_in_background(db, Settings())
    else:
        db.dispose()
    typer.echo(f"bizext on http://{host}:{port}  (interactive docs: http://{host}:{port}/docs)")
    _keep_tcp_nodelay_with_workers(uvicorn)
    # log_config=None keeps the JSON logging set up above (one object per line, with the request id).
    # uvloop and httptools by name, not uvicorn's "auto": without them a transition costs 15-25 % more server
    # CPU (measured, docs/performance.md), and a missing package should fail here, not slow down silently.
    uvicorn.run("bizext.api.app:create_served_app", factory=True, host=host, port=port, workers=workers,
                log_level="info", log_config=None, loop="uvloop", http="httptools")


def tcp_listener(sock):  # type: ignore[no-untyped-def]
    """The same listening socket, marked IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted connections only when
    the listener says so, and uvicorn's `--workers N` path binds it with proto 0 (uvicorn issue #3149: every
    keep-alive response then waits ~40 ms for the peer's delayed ACK)."""
    import socket

    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
        return socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
    return sock


def _keep_tcp_nodelay_with_workers(uvicorn):  # type: ignore[no-untyped-def]
    bind = uvicorn.Config.bind_socket
    if getattr(bind, "_bizext_tcp", False):
        return

    def bind_socket(self):  # type: ignore[no-untyped-def]
        return tcp_listener(bind(self))

    bind_socket._bizext_tcp = True  # type: ignore[attr-defined]
    uvicorn.Config.bind_socket = bind_socket


@app.command("worker")
def worker_command(interval: Annotated[Optional[float], typer.Option(
        help="seconds between sweeps (default BIZEXT_SWEEP_INTERVAL, 60)")] = None) -> None:
    """Run escalation sweeps and webhook deliveries until stopped (SIGINT/SIGTERM). Safe to run many at once
    on PostgreSQL."""
    import signal
    import threading

    from bizext.logs import configure_json_logging
    from bizext.worker import run

    configure_json_logging()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    settings = Settings()
    run(_database(), interval or settings.sweep_interval, stop, delivery_interval=settings.delivery_interval,
        allow_private=settings.webhook_allow_private)


@escalations_app.command("check")
def escalations_check() -> None:
    """Run one escalation sweep now and print what it raised (idempotent: run it as often as you like)."""
    import json

    from bizext.services.escalations import get_many, sweep

    db = _database()
    result = sweep(db, clock.now())
    with db.uow() as uow:
        raised = get_many(uow, result.raised)
    typer.echo(json.dumps({
        "checked_at": result.checked_at.isoformat(), "runs_examined": result.runs_examined,
        "raised": [{"id": str(d.row.id), "project": d.project_number, "clock": d.row.clock, "level": d.row.level,
                    "kind": d.row.kind, "recipients": [n for _, n in d.recipients]} for d in raised],
    }, ensure_ascii=False, indent=2))


def openapi_text() -> str:
    from bizext.api.app import create_app
    from bizext.db.session import Database

    spec = create_app(Settings(database_url="sqlite://"), database=Database("sqlite://")).openapi()
    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=120)


@app.command()
def openapi(check: Annotated[bool, typer.Option("--check", help="fail if openapi.yaml is out of date")] = False,
            output: Path = OPENAPI_FILE) -> None:
    """Write openapi.yaml from the app, or check that it is current."""
    _write_or_check(openapi_text(), output, check, "bizext openapi")


def _write_or_check(text: str, output: Path, check: bool, command: str) -> None:
    """Generated files are committed; CI checks they still match what the code generates."""
    if check:
        if not output.exists() or output.read_text(encoding="utf-8") != text:
            typer.echo(f"{output} is out of date: run `{command}`", err=True)
            raise typer.Exit(1)
        typer.echo(f"{output} is up to date")
        return
    output.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {output}")


WORKFLOWS_DOC = Path("docs/workflows.md")


def workflows_text() -> str:
    from bizext.workflow.definitions import registry
    from bizext.workflow.diagram import mermaid

    parts = ["# Workflows", "",
             "Generated from `src/bizext/workflow/definitions/*.yaml` by `bizext workflows-doc`; do not edit by hand.",
             ""]
    for d in registry().latest():
        parts += [f"## {d.key} v{d.version}: {d.title.en} ({d.title.zh})", "",
                  "| state | 中文 | side | owner |", "|---|---|---|---|"]
        parts += [f"| {s.name} | {s.label.zh} | {s.side or '—'} | {s.owner_role or '—'} |" for s in d.states.values()]
        parts += ["", "```mermaid", mermaid(d).rstrip(), "```", ""]
        if d.clocks:
            parts += ["| clock | limit (working days) | starts | stops |", "|---|---|---|---|"]
            for c in d.clocks:
                limits = ", ".join(f"{k} {v}" if k != "any" else str(v) for k, v in c.limits.items())
                starts = "project created" if c.starts.created else "entering " + ", ".join(c.starts.enter)
                stops = ("entering " + ", ".join(c.stops.enter) if c.stops.enter
                         else "leaving " + ", ".join(c.stops.leave) if c.stops.leave else "a terminal state")
                parts.append(f"| {c.name} | {limits} | {starts} | {stops} |")
            parts.append("")
    return "\n".join(parts)


@app.command("workflows-doc")
def workflows_doc(check: Annotated[bool, typer.Option("--check", help="fail if the file is out of date")] = False,
                  output: Path = WORKFLOWS_DOC) -> None:
    """Write docs/workflows.md (tables and Mermaid diagrams) from the definitions, or check it is current."""
    _write_or_check(workflows_text(), output, check, "bizext workflows-doc")


@tokens_app.command("create")
def tokens_create(
    staff_id: Annotated[Optional[str], typer.Option(help="a staff member's id")] = None,
    customer_id: Annotated[Optional[str], typer.Option(help="a customer's id")] = None,
    client: Annotated[Optional[str], typer.Option(help="a client system's name")] = None,
    role: Annotated[Optional[list[str]], typer.Option(help="client role (repeatable): integration, "
                                                          "escalation_checker")] = None,
) -> None:
    """Issue a token and print it (it is shown only once)."""
    from bizext.services import tokens
    from bizext.services.principals import BOOTSTRAP_ADMIN
    from bizext.workflow.errors import InvalidInput

    db = _database()
    try:
        with db.uow(write=True) as uow:
            issued = tokens.issue(uow, BOOTSTRAP_ADMIN, staff_id=uuid.UUID(staff_id) if staff_id else None,
                                  customer_id=uuid.UUID(customer_id) if customer_id else None,
                                  client_name=client, client_roles=role, now=clock.now())
    except (InvalidInput, ValueError) as exc:
        detail = "; ".join(e.message for e in exc.errors) if isinstance(exc, InvalidInput) else str(exc)
        typer.echo(f"error: {detail}", err=True)
        raise typer.Exit(2) from None
    typer.echo(issued.token)


@users_app.command("set-password")
def users_set_password(
    login: Annotated[str, typer.Argument(help="the person's login; before their first password, a staff member's "
                                              "e-mail address or a customer's external_ref")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from the first "
                                                                          "line of standard input")] = False,
) -> None:
    """Set a person's password (asked for twice, not echoed); their open sessions end."""
    from bizext.services import accounts
    from bizext.services.errors import NotFound
    from bizext.services.principals import BOOTSTRAP_ADMIN
    from bizext.workflow.errors import InvalidInput

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("new password", hide_input=True, confirmation_prompt=True)
    db = _database()
    try:
        with db.uow(write=True) as uow:
            d = accounts.set_password_by_login(uow, BOOTSTRAP_ADMIN, login, password=password, now=clock.now())
    except (InvalidInput, NotFound) as exc:
        detail = "; ".join(e.message for e in exc.errors) if isinstance(exc, InvalidInput) else str(exc)
        typer.echo(f"error: {detail}", err=True)
        raise typer.Exit(2) from None
    finally:
        db.dispose()
    typer.echo(f"password set for {d.account.login} ({d.account.principal_kind}: {d.name})")


@app.command()
def demo() -> None:
    """Load a small, realistic data set (staff in two regions, customers, projects in many states) and
    print tokens to try it with."""
    from bizext.db.migrations import upgrade
    from bizext.services.demo import load

    db = _database()
    upgrade(db.engine)
    with db.uow(write=True) as uow:
        result = load(uow, clock.now())
    typer.echo(result.summary())


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
