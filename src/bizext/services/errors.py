"""Refusals of the use cases that are not workflow rules (those live in bizext.workflow.errors)."""

from __future__ import annotations


class ServiceError(Exception):
    """Base of the use cases' refusals."""


class NotAuthenticated(ServiceError):
    def __init__(self, detail: str = "a valid bearer token is required"):
        super().__init__(detail)


class NotFound(ServiceError):
    """The resource does not exist, or the caller may not learn that it exists."""

    def __init__(self, kind: str, ident: object):
        self.kind, self.ident = kind, ident
        super().__init__(f"no {kind} {ident}")


class Forbidden(ServiceError):
    """The caller is known but its roles do not allow this action."""


class VersionMismatch(ServiceError):
    """If-Match named a version that is no longer current."""

    def __init__(self, expected: str, current: int):
        self.expected, self.current = expected, current
        super().__init__(f"If-Match {expected} does not match the current version \"{current}\"; "
                         "read the resource again and retry")


class ConcurrentModification(ServiceError):
    """Another request changed the resource between our read and our write; nothing was written."""

    def __init__(self, kind: str, ident: object):
        self.kind, self.ident = kind, ident
        super().__init__(f"the {kind} {ident} was changed by another request at the same time; "
                         "nothing was written: read it again and retry")


class DuplicateExternalRef(ServiceError):
    def __init__(self, external_ref: str, existing_id: object):
        self.external_ref, self.existing_id = external_ref, existing_id
        super().__init__(f"this customer already has a project with external_ref {external_ref!r}")


class AlreadyExists(ServiceError):
    """A unique field (an e-mail, an external reference) is already taken."""

    def __init__(self, detail: str, pointer: str):
        self.pointer = pointer
        super().__init__(detail)


class StageNotReassignable(ServiceError):
    """The current stage is owned by the customer, or the project is finished."""


class HoldClosed(ServiceError):
    """The hold is released already, or the project is finished."""


class IdempotencyKeyReused(ServiceError):
    def __init__(self) -> None:
        super().__init__("this Idempotency-Key was used for a different request body; use a new key")


class IdempotencyKeyInProgress(ServiceError):
    def __init__(self) -> None:
        super().__init__("a request with this Idempotency-Key is still being processed; retry shortly")


class NotNow(ServiceError):
    """The request makes sense, but not in the resource's current state (closed already, not yet energized)."""


class SignInFailed(ServiceError):
    """The login and password do not match an account that may sign in. Deliberately one refusal for an
    unknown login, a wrong password and an inactive person: the answer never tells which."""

    def __init__(self) -> None:
        super().__init__("the login or the password is wrong")


class SignInLocked(ServiceError):
    """Too many failed attempts on this login lately; nothing is checked until the lock ends."""

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(f"too many failed sign-in attempts for this login; try again in {retry_after} s")


class NotASession(ServiceError):
    """Signing out ends a session; an API token (or the bootstrap admin token) is revoked otherwise."""
