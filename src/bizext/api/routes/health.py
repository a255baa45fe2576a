"""Liveness and readiness probes (for a load balancer or Kubernetes)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from bizext.db.migrations import current_and_head

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    detail: str | None = None


@router.get("/healthz", response_model=Health, summary="The process is alive")
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}},
            summary="The database is reachable and migrated to head")
def readyz(request: Request) -> Health | JSONResponse:
    try:
        current, head = current_and_head(request.app.state.database.engine)
    except Exception as exc:  # noqa: BLE001 - any failure to reach the database means not ready
        return JSONResponse({"status": "unavailable", "detail": f"database unreachable: {type(exc).__name__}"},
                            status_code=503)
    if current != head:
        return JSONResponse({"status": "unavailable", "detail": f"database at {current}, code expects {head}"},
                            status_code=503)
    return Health(status="ok")
