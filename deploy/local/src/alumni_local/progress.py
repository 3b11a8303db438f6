"""A one-line progress bar for the terminal (redrawn in place; plain lines when not a TTY)."""

from __future__ import annotations

import sys
from typing import TextIO


class ProgressBar:
    def __init__(self, label: str, out: TextIO | None = None, width: int = 30) -> None:
        self._label, self._out, self._width = label, out or sys.stdout, width
        self._last: tuple[int, int] | None = None

    def update(self, done: int, total: int) -> None:
        if (done, total) == self._last:
            return
        self._last = (done, total)
        filled = self._width * done // total if total else self._width
        percent = 100 * done // total if total else 100
        line = f"{self._label} [{'#' * filled}{'.' * (self._width - filled)}] {done}/{total} ({percent}%)"
        if self._out.isatty():
            print(f"\r{line}", end="", file=self._out, flush=True)
        else:
            print(line, file=self._out, flush=True)

    def close(self) -> None:
        if self._out.isatty() and self._last is not None:
            print(file=self._out, flush=True)
