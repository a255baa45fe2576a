"""Passwords: what a new one must be, and argon2id hashes of them (argon2-cffi's defaults, RFC 9106's
low-memory profile). Verifying costs the same whether or not there is a hash to check against."""

from __future__ import annotations

import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import Type, hash_secret_raw

from bizext.workflow.errors import FieldProblem

#: NIST SP 800-63B-4: a password that is the only factor is at least 15 characters; length beats rules
#: about character classes, so there are none.
MIN_LENGTH = 15
MAX_LENGTH = 256

HASHER = PasswordHasher()


def problems(password: str, pointer: str = "/password") -> list[FieldProblem]:
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        return [FieldProblem(pointer, f"a password has {MIN_LENGTH} to {MAX_LENGTH} characters")]
    if not password.isprintable():
        return [FieldProblem(pointer, "a password has printable characters only")]
    return []


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches. Without a hash (an unknown login) a stand-in hash is checked, so that the
    answer takes as long as for a known login and time tells an attacker nothing."""
    try:
        matched = HASHER.verify(password_hash or _stand_in(HASHER), password)
    except (VerificationError, InvalidHashError):
        return False
    return matched and password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than today's (rehashed at the next sign-in)."""
    return HASHER.check_needs_rehash(password_hash)


@functools.cache
def _stand_in(hasher: PasswordHasher) -> str:
    return hasher.hash(secrets.token_urlsafe(16))


def fingerprint(data: bytes, salt: bytes) -> str:
    """A digest of a request that carries a password, for remembering it (idempotency) without keeping
    anything cheaper to attack than the password's own hash: argon2id with the hasher's parameters."""
    raw = hash_secret_raw(data, salt, time_cost=HASHER.time_cost, memory_cost=HASHER.memory_cost,
                          parallelism=HASHER.parallelism, hash_len=32, type=Type.ID)
    return raw.hex()
