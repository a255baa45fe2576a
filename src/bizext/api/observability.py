"""Operability: a request id on every request (response header, problem bodies, JSON logs) and Prometheus
metrics at GET /metrics. Figures about the database (open escalations, due-clock backlog, webhook lag) are
read when Prometheus scrapes, so they are right whichever process served the work."""

from __future__ import annotations

import re
import time
import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from bizext.db.session import Database
from bizext.logs import configure_json_logging, request_id

__all__ = ["RequestContext", "configure_json_logging", "request_id", "router", "registry_for"]

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")

REGISTRY = CollectorRegistry()
REQUEST_SECONDS = Histogram("bizext_http_request_seconds", "HTTP request latency by route", ["method", "route",
                            "status"], registry=REGISTRY,
                            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
TRANSITIONS = Counter("bizext_transitions_fired_total", "Transitions fired", ["workflow", "name"], registry=REGISTRY)
ESCALATIONS = Counter("bizext_escalations_raised_total", "Escalations raised by sweeps", ["level"], registry=REGISTRY)
SWEEP_SECONDS = Histogram("bizext_escalation_sweep_seconds", "Duration of one escalation sweep", registry=REGISTRY)


class RequestContext:
    """Pure ASGI middleware: request id in and out, and the latency histogram by route template."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        token = request_id.set(rid)
        started, status = time.perf_counter(), 500

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (REQUEST_ID_HEADER.lower().encode(), rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            REQUEST_SECONDS.labels(scope["method"], template, f"{status // 100}xx").observe(
                time.perf_counter() - started)
            request_id.reset(token)


class _DatabaseFigures:
    """Gauges read from the database at scrape time."""

    def __init__(self, database: Database, now: Any):
        self.database, self.now = database, now

    def collect(self) -> Any:
        figures = read_figures(self.database, self.now())
        yield GaugeMetricFamily("bizext_open_escalations", "Escalations not yet resolved",
                                value=figures["open_escalations"])
        yield GaugeMetricFamily("bizext_due_clock_runs", "Clock runs whose next escalation level is due (backlog)",
                                value=figures["due_clock_runs"])
        yield GaugeMetricFamily("bizext_webhook_delivery_lag_seconds",
                                "Age of the oldest webhook delivery still pending", value=figures["webhook_lag"])


def read_figures(database: Database, now: datetime) -> dict[str, float]:
    with database.uow() as uow:
        return uow.escalations.operational_figures(now)


router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response, summary="Prometheus metrics",
            responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
                             "description": "Prometheus text format"}})
def metrics(request: Request) -> Response:
    registry: CollectorRegistry = request.app.state.metrics_registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def registry_for(database: Database, now: Any) -> CollectorRegistry:
    """The process-wide metrics plus this app's database figures."""
    registry = CollectorRegistry()
    for collector in (REQUEST_SECONDS, TRANSITIONS, ESCALATIONS, SWEEP_SECONDS, _DatabaseFigures(database, now)):
        registry.register(collector)
    return registry
