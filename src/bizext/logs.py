"""Structured logs: one JSON object per line, carrying the id of the request being served (if any)."""

from __future__ import annotations

import contextvars
import logging

from pythonjsonlogger.json import JsonFormatter

#: Set by the HTTP layer for each request; read by the log filter and by problem responses.
request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def configure_json_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter("{asctime}{levelname}{name}{message}{request_id}", style="{",
                                       rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}))
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The state machine library narrates every callback at INFO: two JSON lines per fired transition that
    # say nothing the transition.fired event does not, formatted on the hot path.
    logging.getLogger("transitions").setLevel(max(level, logging.WARNING))
