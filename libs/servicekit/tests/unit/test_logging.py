"""In JSON mode every line a process writes is JSON: libraries' records, warnings, crashes."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import logging, warnings
import faststream  # installs a coloured handler of its own on import
from servicekit.logging import configure_logging

configure_logging("INFO", "json", service="demo")
try:
    raise TimeoutError()
except TimeoutError as exc:
    logging.getLogger("faststream").error(
        "Task-5 raised an exception, retrying...\\nIf this behavior causes issues, ...", exc_info=exc)
logging.getLogger("nats.aio.client").error("nats: encountered error", exc_info=ConnectionRefusedError(111, "refused"))
logging.getLogger("uvicorn.error").warning("something from uvicorn")
warnings.warn("an old API", UserWarning)
raise RuntimeError("boom")
"""


def test_library_records_warnings_and_a_crash_are_json_lines_and_expected_errors_have_no_traceback() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    output = done.stdout + done.stderr
    assert "\x1b[" not in output
    records = [json.loads(line) for line in output.splitlines()]
    by_logger = {r.get("logger"): r for r in records}
    fetch = by_logger["faststream"]
    assert fetch["event"] == "Task-5 raised an exception, retrying... (TimeoutError)"
    assert fetch["level"] == "warning" and "exception" not in fetch and fetch["service"] == "demo"
    refused = by_logger["nats.aio.client"]
    assert "ConnectionRefusedError" in refused["event"] and "exception" not in refused
    assert by_logger["uvicorn.error"]["event"] == "something from uvicorn"
    assert "an old API" in by_logger["py.warnings"]["event"]
    crash = records[-1]
    assert crash["event"] == "process failed" and crash["level"] == "critical"
    assert "RuntimeError: boom" in crash["exception"], "an unexpected crash keeps its traceback, inside the JSON"
