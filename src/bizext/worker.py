"""The built-in worker: the escalation sweep every BIZEXT_SWEEP_INTERVAL seconds, webhook deliveries every
BIZEXT_DELIVERY_INTERVAL seconds, until stopped.

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
from bizext.config import Settings
from bizext.services import sessions, webhooks
from bizext.services.escalations import sweep

log = logging.getLogger("bizext.worker")


def run(database: Database, interval: float, stop: threading.Event, now: Callable[[], datetime] = clock.now,
        delivery_interval: float = 1.0, allow_private: bool = False) -> None:
    """Sweep escalations every `interval` seconds; deliver webhooks every `delivery_interval` seconds."""
    log.info("worker started: escalation sweep every %.0f s, webhook deliveries every %.1f s",
             interval, delivery_interval)
    next_sweep = 0.0
    while not stop.is_set():
        tick = time.monotonic()
        if tick >= next_sweep:
            next_sweep = tick + interval
            _safely("escalation sweep", lambda: _sweep(database, now()))
        _safely("webhook delivery", lambda: _deliver(database, now(), allow_private))
        stop.wait(max(0.0, delivery_interval - (time.monotonic() - tick)))
    log.info("worker stopped")


def _safely(what: str, step: Callable[[], object]) -> None:
    try:
        step()
    except Exception:  # noqa: BLE001 - a failed round is retried at the next tick, never fatal
        log.exception("%s failed; retrying at the next tick", what)


def _sweep(database: Database, at: datetime) -> None:
    result = sweep(database, at)
    if result.raised:
        log.info("sweep: %d escalations raised, %d due clock runs read", len(result.raised), result.runs_examined)
    purge_expired_keys(database, at)
    sessions.purge(database, at)  # expired sessions, attempt counters that no longer count


def _deliver(database: Database, at: datetime, allow_private: bool) -> None:
    queued = webhooks.enqueue(database, at)
    delivered = webhooks.deliver_due(database, at, allow_private=allow_private)
    if queued or delivered:
        log.info("webhooks: %d deliveries queued, %d delivered", queued, delivered)


def purge_expired_keys(database: Database, now: datetime) -> int:
    """Idempotency keys are kept for BIZEXT_IDEMPOTENCY_TTL; the worker removes older ones."""
    with database.uow(write=True) as uow:
        purged = uow.idempotency.purge(now)
        uow.commit()
    return purged


def start_in_background(database: Database, settings: Settings) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=run, args=(database, settings.sweep_interval, stop), kwargs={
        "delivery_interval": settings.delivery_interval, "allow_private": settings.webhook_allow_private},
        name="bizext-worker", daemon=True)
    thread.start()
    return thread, stop
