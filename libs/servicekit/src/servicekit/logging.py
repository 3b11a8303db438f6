"""structlog configuration: JSON in containers, console on a terminal, context from the edge.

Every line a service writes goes through here, libraries included: the standard library's
loggers (nats-py, FastStream, uvicorn, PyMongo) are rendered by the same structlog processors,
so a log file in JSON mode holds only JSON lines — no library's own coloured handler, no bare
traceback from an uncaught exception or a warning.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

import structlog

# Loggers of libraries that install their own (coloured) handlers; theirs are replaced by ours.
LIBRARY_LOGGERS = ("faststream", "uvicorn")
# Errors these libraries log with a traceback although they are expected and handled (a
# connection refused while a dependency starts, a fetch that timed out and is retried): one
# line with the error is enough.
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (OSError, TimeoutError, ConnectionError)


class _TerseExpectedErrors(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and record.name.startswith(("faststream", "nats", "uvicorn")) and (
                isinstance(exc, EXPECTED_ERRORS) or type(exc).__module__.startswith("nats.")):
            # FastStream appends advice on several lines; its first line says what happened.
            first_line = record.getMessage().splitlines()[0] if record.getMessage() else ""
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            record.msg, record.args = f"{first_line} ({error})".strip(), None
            record.exc_info, record.exc_text = None, None
            if record.levelno > logging.WARNING:
                record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def adopt_library_loggers() -> None:
    """Drop the handlers libraries installed on their own loggers and let their records reach
    the root handler (ours). Call again after creating objects that set up loggers lazily."""
    for name in list(logging.root.manager.loggerDict):
        if name.split(".")[0] in LIBRARY_LOGGERS:
            logger = logging.getLogger(name)
            for handler in list(logger.handlers):
                logger.removeHandler(handler)
            logger.propagate = True


def _log_uncaught(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, tb)
        return
    structlog.get_logger("servicekit").critical("process failed", exc_info=(kind, exc, tb))


def configure_logging(level: str = "INFO", fmt: str = "auto", service: str | None = None) -> None:
    json_output = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer() if json_output else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    # Libraries log through the standard library: same processors, same stream, same level.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info, renderer]))
    handler.addFilter(_TerseExpectedErrors())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    adopt_library_loggers()
    logging.captureWarnings(True)
    if json_output:
        sys.excepthook = _log_uncaught
    for noisy in ("faststream", "faststream.access", "pymongo", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level.upper())))
    if service:
        structlog.contextvars.bind_contextvars(service=service)


@contextmanager
def bound(**values: Any) -> Iterator[None]:
    """Bind tenant/correlation/causation ids for the duration of one message or request."""
    tokens = structlog.contextvars.bind_contextvars(**{k: v for k, v in values.items() if v is not None})
    try:
        yield
    finally:
        structlog.contextvars.reset_contextvars(**tokens)


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
