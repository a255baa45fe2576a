"""The busiest reads stay cheap (issue 6): `GET /v1/projects/{id}`, an owner's work list and a recipient's open
escalations each send a bounded number of statements whatever the page holds (authentication, with the staff
member's roles, is one; a project's owner comes with the project; a page's clock runs, its calendar overrides,
its escalations' recipients one, their project numbers joined to the page), and their answers, sent as plain
values without building the response models (bizext.api.answers), are exactly what the models would give."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from bench import bulk, dataset
from bizext.api.schemas.clocks import EscalationOut
from bizext.api.schemas.common import Page
from bizext.api.schemas.projects import ProjectOut

#: Statements per request, at most: was 6, 5 and 5 (authentication 2, the owner one more, the project numbers one).
BOUNDS = {"project": 4, "worklist": 4, "escalations": 3}
MODELS: dict[str, Any] = {"project": ProjectOut, "worklist": Page[ProjectOut], "escalations": Page[EscalationOut]}


@pytest.fixture
def loaded(db, clock):  # type: ignore[no-untyped-def]
    shape = dataset.Shape(projects=600, now=clock.now, due=20, secret="statements")
    return shape, bulk.insert(db.engine, shape)


@pytest.mark.parametrize("path", sorted(BOUNDS))
def test_a_busy_read_sends_a_bounded_number_of_statements(db, client, loaded, path):  # type: ignore[no-untyped-def]
    shape, sample = loaded
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.strip().upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        answers = []
        for target, token in dataset.read_targets(sample, shape.secret, path, 12):
            seen.clear()
            response = client.get(target, headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200, response.text
            assert len(seen) <= BOUNDS[path], "\n".join(" ".join(s.split())[:200] for s in seen)
            answers.append(response.content)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    model = MODELS[path]
    items = 0
    for body in answers:
        # validated from the JSON, then written again: the same bytes, so no value had a type validation changes
        assert model.model_validate_json(body).model_dump_json().encode() == body
        items += len(model.model_validate_json(body).items) if path != "project" else 1
    assert items > len(answers) if path == "worklist" else items > 0
