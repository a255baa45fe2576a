"""Staff, customers and API tokens."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, Response, status

from bizext.api.deps import CurrentPrincipal, Cursor, IfMatch, Limit, Now, RefuseNul, UnitOfWorkDep, after
from bizext.api.idempotency import Idempotent
from bizext.api.problems import documented
from bizext.api.schemas.common import Page, encode_cursor
from bizext.api.schemas.service import AssessmentIn, AssessmentOut, RoleQualification, TrainingIn, TrainingOut
from bizext.api.schemas.people import (
    CustomerIn,
    CustomerOut,
    StaffIn,
    StaffOut,
    StaffPatch,
    StaffRoleName,
    TokenIn,
    TokenOut,
)
from bizext.services import customers, qualification, staff, tokens

router = APIRouter(prefix="/v1", responses=documented(401, 403), dependencies=[RefuseNul])


def _staff_out(d: staff.StaffDetails, uow: UnitOfWorkDep | None = None) -> StaffOut:
    s = d.staff
    out = StaffOut(id=s.id, name=s.name, region=s.region, roles=d.roles, email=s.email, phone=s.phone,
                   active=s.active, version=s.version, created_at=s.created_at, updated_at=s.updated_at)
    if uow is not None:  # one staff member's page: qualification and training records too
        out.qualification = [RoleQualification(
            role=q.role, qualified=q.qualified, suspended_since=q.suspended_since,
            last_assessment=AssessmentOut.of(q.last_assessment) if q.last_assessment else None)
            for q in qualification.standings(uow, s.id)]
        out.trainings = [TrainingOut(id=t.id, topic=t.topic, held_on=t.held_on, recorded_by=t.recorded_by,
                                     recorded_at=t.recorded_at) for t in qualification.trainings_of(uow, s.id)]
    return out


def _customer_out(c: object) -> CustomerOut:
    return CustomerOut.model_validate(c, from_attributes=True)


@router.post("/staff", status_code=status.HTTP_201_CREATED, response_model=StaffOut, tags=["staff"],
             responses=documented(400, 409, 422), summary="Register a staff member (admin)")
def create_staff(body: StaffIn, uow: UnitOfWorkDep, actor: CurrentPrincipal, now: Now,
                 idem: Idempotent) -> Response:
    d = staff.create(uow, actor, name=body.name, region=body.region, roles=body.roles, email=body.email,
                     phone=body.phone, active=body.active, now=now)
    return idem.respond(201, _staff_out(d), {"Location": f"/v1/staff/{d.staff.id}",
                                             "ETag": f'"{d.staff.version}"'})


@router.get("/staff", response_model=Page[StaffOut], tags=["staff"], responses=documented(422),
            summary="List staff, filtered by role, region, active")
def list_staff(uow: UnitOfWorkDep, actor: CurrentPrincipal, role: StaffRoleName | None = None,
               region: str | None = Query(None, max_length=100), active: bool | None = None,
               cursor: Cursor = None, limit: Limit = 50) -> Page[StaffOut]:
    rows = staff.listing(uow, actor, role=role, region=region, active=active, after=after(cursor), limit=limit)
    nxt = encode_cursor(rows[-1].staff.created_at, rows[-1].staff.id) if len(rows) == limit else None
    return Page[StaffOut](items=[_staff_out(d) for d in rows], next_cursor=nxt)


@router.get("/staff/{staff_id}", response_model=StaffOut, tags=["staff"], responses=documented(404, 422))
def get_staff(staff_id: uuid.UUID, uow: UnitOfWorkDep, actor: CurrentPrincipal, response: Response) -> StaffOut:
    d = staff.get(uow, actor, staff_id)
    response.headers["ETag"] = f'"{d.staff.version}"'
    return _staff_out(d, uow)


@router.patch("/staff/{staff_id}", response_model=StaffOut, tags=["staff"],
              responses=documented(400, 404, 409, 412, 422), summary="Change roles, region, active (admin)")
def patch_staff(staff_id: uuid.UUID, body: StaffPatch, uow: UnitOfWorkDep, actor: CurrentPrincipal, now: Now,
                idem: Idempotent, if_match: IfMatch = None) -> Response:
    changes = body.model_dump(exclude_unset=True)
    d = staff.update(uow, actor, staff_id, changes=changes, if_match=if_match, now=now)
    return idem.respond(200, _staff_out(d), {"ETag": f'"{d.staff.version}"'})


@router.post("/customers", status_code=status.HTTP_201_CREATED, response_model=CustomerOut, tags=["customers"],
             responses=documented(400, 409, 422), summary="Register a customer")
def create_customer(body: CustomerIn, uow: UnitOfWorkDep, actor: CurrentPrincipal, now: Now,
                    idem: Idempotent) -> Response:
    c = customers.create(uow, actor, name=body.name, contact_name=body.contact_name, phone=body.phone,
                         email=body.email, external_ref=body.external_ref, now=now)
    return idem.respond(201, _customer_out(c), {"Location": f"/v1/customers/{c.id}"})


@router.get("/customers/{customer_id}", response_model=CustomerOut, tags=["customers"],
            responses=documented(404, 422))
def get_customer(customer_id: uuid.UUID, uow: UnitOfWorkDep, actor: CurrentPrincipal) -> CustomerOut:
    return _customer_out(customers.get(uow, actor, customer_id))


@router.post("/tokens", status_code=status.HTTP_201_CREATED, response_model=TokenOut, tags=["tokens"],
             responses=documented(400, 422), summary="Issue an API token (admin); the token is shown once")
def create_token(body: TokenIn, uow: UnitOfWorkDep, actor: CurrentPrincipal, now: Now,
                 idem: Idempotent) -> Response:
    issued = tokens.issue(uow, actor, staff_id=body.staff_id, customer_id=body.customer_id,
                          client_name=body.client.name if body.client else None,
                          client_roles=body.client.roles if body.client else None, now=now)
    r = issued.row
    return idem.respond(201, TokenOut(
        id=r.id, token=issued.token, principal_kind=r.principal_kind, staff_id=r.staff_id,
        customer_id=r.customer_id, client_name=r.client_name, client_roles=r.client_roles, created_at=r.created_at))


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT, tags=["tokens"],
               responses=documented(404, 422), summary="Revoke an API token (admin)")
def delete_token(token_id: uuid.UUID, uow: UnitOfWorkDep, actor: CurrentPrincipal, now: Now,
                 idem: Idempotent) -> Response:
    tokens.revoke_token(uow, actor, token_id, now)
    return idem.respond(204, None)


@router.post("/staff/{staff_id}/assessments", status_code=status.HTTP_201_CREATED, response_model=AssessmentOut,
             tags=["staff"], responses=documented(400, 404, 422),
             summary="Record an assessment (supervisor, admin); failing suspends the person from that role")
def create_assessment(staff_id: uuid.UUID, body: AssessmentIn, uow: UnitOfWorkDep, actor: CurrentPrincipal,
                      now: Now, idem: Idempotent) -> Response:
    row = qualification.record_assessment(uow, actor, staff_id, role=body.role, score=body.score,
                                          passed=body.passed, assessed_on=body.assessed_on, now=now)
    return idem.respond(201, AssessmentOut.of(row))


@router.get("/staff/{staff_id}/assessments", response_model=list[AssessmentOut], tags=["staff"],
            responses=documented(404, 422))
def list_assessments(staff_id: uuid.UUID, uow: UnitOfWorkDep, actor: CurrentPrincipal) -> list[AssessmentOut]:
    return [AssessmentOut.of(a) for a in qualification.assessments(uow, actor, staff_id)]


@router.post("/trainings", status_code=status.HTTP_201_CREATED, response_model=TrainingOut, tags=["staff"],
             responses=documented(400, 422), summary="Record a training session and its attendees")
def create_training(body: TrainingIn, uow: UnitOfWorkDep, actor: CurrentPrincipal, now: Now,
                    idem: Idempotent) -> Response:
    training, attendees = qualification.record_training(uow, actor, topic=body.topic, held_on=body.held_on,
                                                        attendee_ids=body.attendee_ids, now=now)
    return idem.respond(201, TrainingOut(id=training.id, topic=training.topic, held_on=training.held_on,
                                         attendee_ids=attendees, recorded_by=training.recorded_by,
                                         recorded_at=training.recorded_at))
