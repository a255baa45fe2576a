"""The one place that reads the wall clock; everything else receives `now` as an argument."""

from datetime import UTC, datetime


def now() -> datetime:
    """The current instant, UTC-aware, at microsecond precision."""
    return datetime.now(UTC)
