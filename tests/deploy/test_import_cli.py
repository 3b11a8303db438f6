"""`alumni-import`'s report of the rejected rows, without a platform."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from alumni_local import import_cli


class _NoDownload:
    def download(self, path: str, target: Path) -> None:  # pragma: no cover - must not be called
        raise AssertionError(f"nothing to download, yet {path} was fetched")


def test_rejected_file_asked_for_with_no_rejected_rows_says_nothing_was_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "rejetees.csv"
    job: dict[str, Any] = {"import_id": "i1", "rejected": 0, "rejected_csv": "/api/v1/imports/i1/rejected.csv"}
    import_cli.rejected(_NoDownload(), job, str(target))  # type: ignore[arg-type]
    out = capsys.readouterr().out
    assert "No rejected rows — nothing written" in out and str(target) in out and "aucune ligne rejetée" in out
    assert not target.exists()


def test_no_rejected_rows_and_no_file_asked_for_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    import_cli.rejected(_NoDownload(), {"import_id": "i1", "rejected": 0}, None)  # type: ignore[arg-type]
    assert capsys.readouterr().out == ""
