"""Customer progress: where a project stands, whom to call, and when it should be energized."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Response

from bizext.api.deps import CurrentPrincipal, Now, RefuseNul, UnitOfWorkDep
from bizext.api.negotiation import weighted
from bizext.api.problems import documented
from bizext.api.schemas.progress import ProgressOut
from bizext.services import progress

router = APIRouter(prefix="/v1/projects", tags=["customer service"], responses=documented(401, 403, 404, 422),
                   dependencies=[RefuseNul])
LANGUAGES = ("zh", "en")


def preferred_language(accept_language: str | None) -> str:
    """zh when the caller prefers Chinese to English (RFC 9110 §12.5.4 weights), else en."""
    best, best_q = "en", 0.0
    for tag, q in weighted(accept_language):
        primary = tag.split("-")[0]
        if primary in LANGUAGES and q > best_q:  # equal weights: the first listed wins
            best, best_q = primary, q
    return best


@router.get("/{project_id}/progress", response_model=ProgressOut,
            summary="Progress for the customer: steps, current owner and deadline, contact, open questions, "
                    "forecast energization day",
            description="Customers read their own projects; staff and integration clients any they may see. "
                        "Labels and explanations are in the language `Accept-Language` prefers (zh or en). "
                        "The forecast chains the remaining utility steps' time limits (working days) on the "
                        "region's calendar and the customer's own steps at the median calendar days they took "
                        "on other projects.")
def get_progress(project_id: uuid.UUID, uow: UnitOfWorkDep, actor: CurrentPrincipal, now: Now, response: Response,
                 accept_language: Annotated[str | None, Header(
                     alias="Accept-Language", description="e.g. `zh-CN`: labels in zh when it prefers zh to en, "
                                                          "else in en")] = None) -> ProgressOut:
    language = preferred_language(accept_language)
    result = progress.of_project(uow, actor, project_id, now)
    response.headers["Content-Language"] = language
    response.headers["Vary"] = "Accept-Language"
    return ProgressOut.of(result, language)
