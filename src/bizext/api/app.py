"""The application factory."""

from __future__ import annotations

import gc
from collections.abc import Callable
from datetime import date, datetime

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from bizext import __version__, clock
from bizext.api import frontend, observability, problems
from bizext.api.limits import BodySizeLimit
from bizext.api.observability import RequestContext
from bizext.api.routes import (
    calendars,
    clocks,
    escalations,
    events,
    health,
    messages,
    people,
    progress,
    projects,
    reports,
    sessions,
    webhooks,
    workflows,
)
from bizext.config import Settings
from bizext.db.session import Database
from bizext.workflow.calendars import WorkingCalendar
from bizext.workflow.definitions import registry

DESCRIPTION = """
bizext runs business-expansion (业扩报装) projects for an electric utility: from a large customer's
application to the day its supply is energized. Every project follows an explicit, versioned workflow
definition; every stage has exactly one responsible owner, and only that owner may move it on.

* Authenticate with `Authorization: Bearer <token>`: people sign in with `POST /v1/sessions` (login and
  password) for a token that lasts a working day; systems use API tokens issued by an admin.
* Errors are RFC 9457 `application/problem+json` with a stable `type`; invalid input lists
  `errors[{pointer, message}]`.
* Projects carry a `version`, sent as a strong `ETag`; writes honour `If-Match` (412 when stale).
* Lists are cursor-paginated: pass `next_cursor` back as `cursor`.
"""


def warm_up(today: datetime) -> None:
    """Parse and validate the workflow definitions and build the base calendar (this year and the next)
    while the process starts, not inside its first requests."""
    registry()
    base = WorkingCalendar("warm-up")
    for year in (today.year, today.year + 1):
        base.is_working(date(year, 1, 1))


def create_served_app() -> FastAPI:
    """The app as `bizext serve` runs it (uvicorn's factory, once per server process)."""
    app = create_app()
    # Everything built so far (modules, the workflow registry, the calendar cache, the app) lives as long as the
    # process: frozen out of the collector, a full collection no longer walks it during requests.
    gc.freeze()
    return app


def create_app(settings: Settings | None = None, database: Database | None = None,
               now: Callable[[], datetime] = clock.now) -> FastAPI:
    settings = settings or Settings()
    # The docs' Swagger UI is served by bizext itself: a utility's intranet has no CDN.
    app = FastAPIOffline(title="bizext", version=__version__, description=DESCRIPTION.strip(),
                  openapi_tags=[{"name": "projects", "description": "Applications and their workflow"},
                                {"name": "clocks and holds",
                                 "description": "Working-day time limits (时限) and recorded pauses (暂停)"},
                                {"name": "customer service",
                                 "description": "Questions and answers, follow-ups (回访), feedback"},
                                {"name": "escalations", "description": "Warnings and breaches (预警, 督办)"},
                                {"name": "calendars", "description": "Working days per region"},
                                {"name": "events", "description": "The feed of everything that happened"},
                                {"name": "webhooks", "description": "Signed, at-least-once event delivery"},
                                {"name": "reports", "description": "Performance: clocks, owners, connection time"},
                                {"name": "workflows", "description": "Workflow definitions (data)"},
                                {"name": "sessions", "description": "Signing in and out (people)"},
                                {"name": "staff"}, {"name": "customers"}, {"name": "tokens"},
                                {"name": "health"}])
    app.state.settings = settings
    app.state.database = database or Database(settings.database_url, settings.db_pool_size)
    app.state.clock = now
    warm_up(now())
    problems.install(app)
    app.add_middleware(BodySizeLimit)
    app.add_middleware(RequestContext)
    app.state.metrics_registry = observability.registry_for(app.state.database, now)
    app.include_router(observability.router)
    for module in (health, workflows, projects, progress, clocks, messages, escalations, calendars, events,
                   webhooks, people, reports, sessions):
        app.include_router(module.router)
    frontend.install(app)
    return app
