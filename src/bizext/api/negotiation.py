"""Content negotiation headers (Accept, Accept-Language): their ranges with RFC 9110 quality weights."""

from __future__ import annotations

from collections.abc import Iterator


def weighted(header: str | None) -> Iterator[tuple[str, float]]:
    """Each listed range (lower-cased) with its q; an unreadable q counts as 0, a missing one as 1."""
    for item in (header or "").split(","):
        value, *params = (part.strip() for part in item.split(";"))
        q = 1.0
        for param in params:
            name, _, raw = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(raw)
                except ValueError:
                    q = 0.0
        if value:
            yield value.lower(), q
