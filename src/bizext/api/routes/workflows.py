"""Workflow definitions: states, transitions, owners, input schemas, and a generated diagram."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from bizext.api.problems import documented
from bizext.api.schemas.workflows import WorkflowOut, WorkflowSummary
from bizext.api.schemas.common import Label
from bizext.workflow.definitions import registry
from bizext.workflow.diagram import mermaid

router = APIRouter(prefix="/v1/workflows", tags=["workflows"])
Version = Query(None, ge=1, le=1000, description="a published version; the latest by default")


@router.get("", response_model=list[WorkflowSummary], summary="Published workflow definitions (latest versions)")
def list_workflows() -> list[WorkflowSummary]:
    reg = registry()
    return [WorkflowSummary(key=d.key, version=d.version, versions=reg.versions(d.key),
                            title=Label(**d.title.as_dict())) for d in reg.latest()]


@router.get("/{key}", response_model=WorkflowOut, responses=documented(404, 422))
def get_workflow(key: str, version: int | None = Version) -> WorkflowOut:
    reg = registry()
    return WorkflowOut.of(reg.get(key, version), reg.versions(key))


@router.get("/{key}/diagram", response_class=PlainTextResponse, responses={
    **documented(404, 422), 200: {"content": {"text/vnd.mermaid": {"schema": {"type": "string"}}},
                                  "description": "Mermaid stateDiagram-v2"}})
def get_diagram(key: str, version: int | None = Version,
                lang: str = Query("en", pattern="^(en|zh)$")) -> PlainTextResponse:
    return PlainTextResponse(mermaid(registry().get(key, version), lang), media_type="text/vnd.mermaid")
