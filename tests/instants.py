"""Fixed, named instants for tests: never the real clock."""

from datetime import UTC, datetime

TUE_29_SEP_2026_10AM_SHANGHAI = datetime(2026, 9, 29, 2, 0, tzinfo=UTC)
MON_02_NOV_2026_9AM_SHANGHAI = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
TUE_01_DEC_2026_NOON_UTC = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
