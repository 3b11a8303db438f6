"""`alumni-import`: import a CSV file through the API, with progress bars.

    alumni-import alumni.csv --gateway http://127.0.0.1:8000 --token "$TOKEN" [--dry-run] [--rejected FILE]

Uploads the file, shows the detected encoding, separator and column mapping (override with
`--map "Column=field"`), validates every row (the dry run: nothing is written), prints the
report with the errors and the rows to review by line number, then — unless `--dry-run` —
commits and follows the import to the end. A dry run leaves the validated import in place
(commit it later with `--commit IMPORT_ID`; it expires on its own). The rows not imported can be
downloaded as a CSV file (the file's columns plus an error column) to fix and import again:
`--rejected FILE` writes it. Exit status: 0 done, 1 failure, 2 rows to review (decide them in the
console or via the API, or pass `--undecided skip`).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from alumni_local.http_retry import RetryTransport, describe
from alumni_local.progress import ProgressBar

POLL_SECONDS = 0.5


class ImportFailed(Exception):
    pass


def _report_retry(request: httpx.Request, reason: str, delay: float, attempt: int) -> None:
    print(f"\n{request.method} {request.url.path}: {reason}, trying again in {delay:.1f} s (attempt {attempt + 1})",
          file=sys.stderr)


class Client:
    def __init__(self, gateway: str, token: str, transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(base_url=gateway, timeout=120, headers={"Authorization": f"Bearer {token}"},
                                  transport=transport or RetryTransport(on_retry=_report_retry))

    def download(self, path: str, target: Path) -> None:
        with self._http.stream("GET", path) as r:
            if r.status_code >= 400:
                raise ImportFailed(f"GET {path} → {r.status_code} {r.read()[:300]!r}")
            with target.open("wb") as out:
                for chunk in r.iter_bytes():
                    out.write(chunk)

    def call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        r = self._http.request(method, path, **kwargs)
        if r.status_code >= 400:
            raise ImportFailed(f"{method} {path} → {describe(r)}")
        result: dict[str, Any] = r.json()
        return result

    def follow(self, import_id: str, label: str, until: set[str]) -> dict[str, Any]:
        bar = ProgressBar(label)
        while True:
            job = self.call("GET", f"/api/v1/imports/{import_id}")
            bar.update(job["done"], job["total"])
            if job["state"] in until or job["state"] == "failed":
                bar.close()
                if job["state"] == "failed":
                    raise ImportFailed(f"the import failed: {job.get('failure')}")
                return job
            time.sleep(POLL_SECONDS)


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        column, sep, field = pair.rpartition("=")
        if not sep or not column or not field:
            raise ImportFailed(f"--map expects \"Column=field\", not {pair!r}")
        mapping[column] = field
    return mapping


def print_rows(client: Client, import_id: str, status: str, title: str, limit: int = 20) -> None:
    page = client.call("GET", f"/api/v1/imports/{import_id}/rows", params={"status": status, "limit": limit})
    if not page["items"]:
        return
    print(title)
    for row in page["items"]:
        detail = "; ".join(row["errors"]) if row["errors"] else row.get("reason") or ""
        print(f"  line {row['line']}: {detail}")
    if page.get("next_after_line"):
        print(f"  … more: GET /api/v1/imports/{import_id}/rows?status={status}")


def run(args: argparse.Namespace) -> int:
    client = Client(args.gateway, args.token)
    data = Path(args.file).read_bytes()
    params = {"filename": Path(args.file).name}
    if args.encoding:
        params["encoding"] = args.encoding
    if args.delimiter:
        params["delimiter"] = "\t" if args.delimiter == "tab" else args.delimiter
    job = client.call("POST", "/api/v1/imports", content=data, params=params,
                      headers={"Content-Type": "text/csv"})
    import_id = job["import_id"]
    print(f"Import {import_id}: {job['total']} rows, {job['encoding']}, separator {job['delimiter']!r}")
    mapping = {**job["mapping"], **parse_mapping(args.map or [])}
    for column in job["columns"]:
        print(f"  {column!r:<28} → {mapping.get(column, '(ignored)')}")
    client.call("PUT", f"/api/v1/imports/{import_id}/mapping", json={"mapping": mapping})
    job = client.follow(import_id, "Checking  ", {"validated"})
    counts = job["counts"]
    print("Dry run: " + ", ".join(f"{counts.get(k, 0)} {k}" for k in ("new", "update", "unchanged", "review", "error")))
    if counts.get("warned"):
        print(f"{counts['warned']} row(s) with warnings (e.g. cells starting with = + - @: kept as text)")
    print_rows(client, import_id, "error", "Rows with errors (not imported):")
    print_rows(client, import_id, "review", "Rows to review (possible duplicates):")
    if args.dry_run:
        rejected(client, job, args.rejected)
        print(f"Dry run only: nothing was written. To commit this import later: alumni-import --commit {import_id} "
              f"(until {job.get('report_expires_at') or 'it expires'}).")
        return 0
    undecided = counts.get("review", 0) - sum(v for k, v in counts.items() if k.startswith("decided_"))
    if undecided and args.undecided == "refuse":
        print(f"{undecided} row(s) to review: decide them (console or API), then run `alumni-import --commit "
              f"{import_id}`, or pass --undecided skip.")
        return 2
    return commit(client, import_id, args.undecided, args.rejected)


def rejected(client: Client, job: dict[str, Any], target: str | None) -> None:
    """Where to download the rejected rows, or download them (`--rejected FILE`)."""
    count = job.get("rejected") or 0
    link = job.get("rejected_csv") or f"/api/v1/imports/{job['import_id']}/rejected.csv"
    if not count:
        if target:  # asked for a file: say why none was written (an old one at that path stays as it was)
            print(f"No rejected rows — nothing written to {target} (aucune ligne rejetée · aucun fichier écrit).")
        return
    if target:
        client.download(link, Path(target))
        print(f"{count} rejected row(s) written to {target}: fix them and import that file again.")
    else:
        print(f"{count} rejected row(s): download them with --rejected FILE, or GET {link}")


def commit(client: Client, import_id: str, undecided: str, rejected_to: str | None = None) -> int:
    client.call("POST", f"/api/v1/imports/{import_id}/commit", json={"undecided": undecided})
    job = client.follow(import_id, "Importing ", {"completed"})
    counts = job["counts"]
    print("Done: " + ", ".join(f"{v} {k.removeprefix('outcome_')}" for k, v in sorted(counts.items())
                               if k.startswith("outcome_")))
    rejected(client, job, rejected_to)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="alumni-import", description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", help="CSV file (UTF-8, Windows-1252 or UTF-16; ; , or tab separated)")
    parser.add_argument("--gateway", default=os.environ.get("ALUMNI_GATEWAY", "http://127.0.0.1:8000"))
    parser.add_argument("--token", default=os.environ.get("ALUMNI_TOKEN"), help="manager token (or ALUMNI_TOKEN)")
    parser.add_argument("--encoding", choices=["utf-8", "windows-1252", "utf-16"])
    parser.add_argument("--delimiter", choices=[";", ",", "tab"])
    parser.add_argument("--map", action="append", metavar="COLUMN=FIELD", help="override the suggested mapping")
    parser.add_argument("--dry-run", action="store_true", help="validate and report; write nothing")
    parser.add_argument("--undecided", choices=["refuse", "skip"], default="refuse",
                        help="rows to review that nobody decided: stop (default) or skip them")
    parser.add_argument("--commit", metavar="IMPORT_ID", help="commit an import validated earlier")
    parser.add_argument("--rejected", metavar="FILE", help="write the rows not imported to this CSV file "
                                                           "(the file's columns plus an error column)")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("a manager token is required (--token or ALUMNI_TOKEN)")
    if not args.file and not args.commit:
        parser.error("give a CSV file, or --commit IMPORT_ID")
    try:
        if args.commit:
            return commit(Client(args.gateway, args.token), args.commit, args.undecided, args.rejected)
        return run(args)
    except (ImportFailed, OSError, httpx.HTTPError) as exc:
        print(f"\nalumni-import: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
