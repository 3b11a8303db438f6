"""Starts the SecantusDB stand-in as its `secantusd-py` command does, with a TTL sweep period of
our choosing (`SECANTUS_TTL_SWEEP_SECONDS`, default `STAND_IN_TTL_SWEEP_SECONDS`).

Why (measured, bench/RESULTS.md "API load"): secantusdb 0.7.0b3 runs its TTL sweep every 60 s,
and a sweep reads *every* document of every collection carrying a TTL index (outbox, inbox,
idempotency records: the platform's busiest collections) while holding the storage's global
lock, expired or not — every other request waits. At 20,000 documents that stalled all reads
2–4.7 s on this machine; in the platform it made the ~1 s windows of the API p99. Its CLI reads
`ttl_sweep_seconds` from `secantusd.toml` but does not pass it to the server (always 60 s). Our
retention periods are days, so an hourly sweep loses nothing. Real MongoDB deletes expired
documents in the background without such a lock: production is unaffected.

`tests/unit/test_stand_in.py` fails if secantus changes the names this relies on.
"""

from __future__ import annotations

import functools
import os
import sys

from secantus import cli, server  # type: ignore[import-untyped]

STAND_IN_TTL_SWEEP_SECONDS = 3600.0


def main() -> int:
    seconds = float(os.environ.get("SECANTUS_TTL_SWEEP_SECONDS") or STAND_IN_TTL_SWEEP_SECONDS)
    options: dict[str, float] = {"ttl_sweep_seconds": seconds}
    # Tests that SIGKILL a service: MongoDB's `transactionLifetimeLimitSeconds` (60 s by default).
    if lifetime := os.environ.get("SECANTUS_TRANSACTION_LIFETIME_SECONDS"):
        options["transaction_lifetime_seconds"] = float(lifetime)
    cli.SecantusDBServer = functools.partial(server.SecantusDBServer, **options)
    return int(cli.main(sys.argv[1:]))


if __name__ == "__main__":
    sys.exit(main())
