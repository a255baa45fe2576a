"""Events as served by the feed and delivered by webhooks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from bizext.api.schemas.common import Owner


class EventOut(BaseModel):
    id: uuid.UUID
    sequence: int = Field(description="the feed cursor: pass the last one you processed as `after`")
    type: str
    project_id: uuid.UUID | None
    project_version: int | None
    occurred_at: datetime
    recorded_at: datetime
    actor: Owner
    data: dict[str, Any]

    @classmethod
    def of(cls, e: Any) -> EventOut:
        return cls(id=e.id, sequence=e.sequence, type=e.type, project_id=e.project_id,
                   project_version=e.project_version, occurred_at=e.occurred_at, recorded_at=e.recorded_at,
                   actor=Owner(**e.actor), data=e.data or {})


class EventPage(BaseModel):
    items: list[EventOut]
    next_after: int = Field(description="pass as `after` for the next page (the last sequence seen, or the "
                                        "`after` you sent when there is nothing new yet)")
