"""One wall clock for a whole fleet of processes, which a test can move forward: real time plus an offset.

`python -m tests.ops.shifted_clock <bizext arguments>` runs the `bizext` command with `bizext.clock.now` (the
one place bizext reads the wall clock) replaced by real time plus the offset in seconds held in the file
named by BIZEXT_TEST_CLOCK_FILE, read at every call. The test writes that file (`SharedClock.advance`), and
every server, worker and CLI check sees the jump at its next reading: the fleet's clocks stay together, and
only ever move forward, as real clocks do.

The replacement happens before bizext imports anything that takes `clock.now` as a default argument.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

CLOCK_FILE = "BIZEXT_TEST_CLOCK_FILE"


class SharedClock:
    """The test's side: the offset file, and the same reading as the fleet's."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = timedelta(0)
        self._write()

    @property
    def launcher(self) -> tuple[str, ...]:
        return (sys.executable, "-m", "tests.ops.shifted_clock")

    @property
    def env(self) -> dict[str, str]:
        return {CLOCK_FILE: str(self.path)}

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> datetime:
        assert delta >= timedelta(0), "clocks only move forward"
        self.offset += delta
        self._write()
        return self.now()

    def _write(self) -> None:
        partial = self.path.with_suffix(".partial")
        partial.write_text(repr(self.offset.total_seconds()), encoding="ascii")
        os.replace(partial, self.path)  # atomic: a reader sees the old offset or the new one


def _shifted() -> None:
    import bizext.clock

    path = Path(os.environ[CLOCK_FILE])
    real = bizext.clock.now

    def now() -> datetime:
        return real() + timedelta(seconds=float(path.read_text(encoding="ascii")))

    bizext.clock.now = now


if __name__ == "__main__":
    _shifted()
    from bizext.cli import main

    sys.argv[0] = "bizext"
    main()
