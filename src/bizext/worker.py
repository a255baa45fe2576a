"""The built-in worker: runs the escalation sweep every BIZEXT_SWEEP_INTERVAL seconds until stopped.

Run as many as you like on PostgreSQL (`bizext worker`): sweeps share the due rows and the database
guarantees each escalation is raised once. On SQLite run one (the one `bizext serve` starts is enough).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from bizext import clock
from bizext.db.session import Database
from bizext.services.escalations import sweep

log = logging.getLogger("bizext.worker")


def run(database: Database, interval: float, stop: threading.Event,
        now: Callable[[], datetime] = clock.now) -> None:
    log.info("escalation worker started: a sweep every %.0f s", interval)
    while not stop.is_set():
        started = time.monotonic()
        try:
            at = now()
            result = sweep(database, at)
            if result.raised or result.resolved:
                log.info("sweep: %d escalations raised, %d resolved, %d due clock runs read",
                         len(result.raised), result.resolved, result.runs_examined)
            purge_expired_keys(database, at)
        except Exception:  # noqa: BLE001 - a failed sweep is retried at the next tick, never fatal
            log.exception("escalation sweep failed; retrying in %.0f s", interval)
        stop.wait(max(0.0, interval - (time.monotonic() - started)))
    log.info("escalation worker stopped")


def purge_expired_keys(database: Database, now: datetime) -> int:
    """Idempotency keys are kept for BIZEXT_IDEMPOTENCY_TTL; the worker removes older ones."""
    with database.uow(write=True) as uow:
        purged = uow.idempotency.purge(now)
        uow.commit()
    return purged


def start_in_background(database: Database, interval: float) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=run, args=(database, interval, stop), name="bizext-worker", daemon=True)
    thread.start()
    return thread, stop
