"""Preconditions of writes that every resource shares."""

from __future__ import annotations

from bizext.services.errors import VersionMismatch


def check_if_match(if_match: str | None, version: int) -> None:
    """Honour If-Match (a strong ETag `"<version>"`, or `*`)."""
    if if_match is None or if_match.strip() == "*":
        return
    candidates = [tag.strip() for tag in if_match.split(",")]
    if f'"{version}"' not in candidates:
        raise VersionMismatch(if_match, version)
