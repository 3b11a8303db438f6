"""`alumni-ops`: the operators' CLI.

  alumni-ops topology apply|show        declare streams and consumers (idempotent)
  alumni-ops outbox status --mongo-uri URI --db NAME
  alumni-ops dlq list [--limit N]        dead letters with their reasons
  alumni-ops dlq inspect SEQ             one dead letter, payload included
  alumni-ops dlq replay SEQ              publish the payload again to its original subject
  alumni-ops nats-config [--partner-tenants a,b]   the nats-server configuration (accounts, users,
                                         permissions) generated from the topology; no secret in it
  alumni-ops partner stream --tenant T   create/update a partner account's stream (as partner-T-admin)

NATS_URL / --nats-url selects the server, NATS_USER / --nats-user and NATS_PASSWORD (environment
only) the credentials (user `ops`); TOPOLOGY_* variables tune the topology.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import UTC, datetime
from typing import Any

import nats
from nats.aio.client import Client as NatsClient
from nats.js.errors import NotFoundError

from alumni_contracts import naming
from servicekit import nats_auth
from servicekit.mongo import create_client
from servicekit.outbox import outbox_status
from servicekit.topology import TopologySettings, apply, apply_partner_stream, declare


async def _connect(args: argparse.Namespace) -> NatsClient:
    options: dict[str, Any] = {}
    if args.nats_user:
        options = {"user": args.nats_user, "password": os.environ.get("NATS_PASSWORD"),
                   "inbox_prefix": nats_auth.inbox_prefix(args.nats_user)}
    return await nats.connect(args.nats_url, **options)


def _print(obj: Any) -> None:
    print(json.dumps(obj, indent=2, default=str, ensure_ascii=False))


async def _topology(args: argparse.Namespace) -> int:
    settings = TopologySettings()
    if args.action == "show":
        topo = declare(settings)
        _print({"streams": [s.as_dict() for s in topo.streams],
                "consumers": [{"stream": st, **c.as_dict()} for st, c in topo.consumers]})
        return 0
    if not settings.covers_transaction_lifetime():
        print(f"warning: consumers retry for {settings.retry_window_seconds():.0f}s only; a crashed consumer's"
              " transaction holds its keys for up to 60s (TOPOLOGY_BACKOFF_SECONDS)", file=sys.stderr)
    nc = await _connect(args)
    try:
        for change in await apply(nc.jetstream(), settings):
            print(change)
    finally:
        await nc.drain()
    return 0


async def _outbox(args: argparse.Namespace) -> int:
    client = create_client(args.mongo_uri, "alumni-ops")
    try:
        _print(await outbox_status(client[args.db]))
    finally:
        await client.close()
    return 0


def _dead_letter_view(msg: Any, with_payload: bool) -> dict[str, Any]:
    headers = msg.headers or {}
    view: dict[str, Any] = {"seq": msg.seq, "subject": msg.subject}
    if msg.subject.startswith(naming.DEAD_LETTER_PREFIX + "."):
        view.update({
            "kind": "dead-letter",
            "consumer": headers.get(naming.HEADER_DEAD_CONSUMER),
            "original_subject": headers.get(naming.HEADER_DEAD_SUBJECT),
            "stream_seq": headers.get(naming.HEADER_DEAD_STREAM_SEQ),
            "deliveries": headers.get(naming.HEADER_DEAD_DELIVERIES),
            "reason": headers.get(naming.HEADER_DEAD_REASON),
        })
        if with_payload:
            try:
                view["payload"] = json.loads(msg.data)
            except ValueError:
                view["payload_raw"] = msg.data.decode(errors="replace")
    else:
        advisory = json.loads(msg.data)
        view.update({"kind": "advisory", "consumer": advisory.get("consumer"),
                     "stream": advisory.get("stream"), "stream_seq": advisory.get("stream_seq"),
                     "deliveries": advisory.get("deliveries"), "reason": advisory.get("reason")})
    return view


async def _nats_config(args: argparse.Namespace) -> int:
    tenants = [t for t in args.partner_tenants.split(",") if t]
    print(nats_auth.render_config(tenants), end="")
    return 0


async def _partner(args: argparse.Namespace) -> int:
    nc = await _connect(args)
    try:
        print(await apply_partner_stream(nc.jetstream(), args.tenant, TopologySettings()))
    finally:
        await nc.drain()
    return 0


async def _dlq(args: argparse.Namespace) -> int:
    nc = await _connect(args)
    js = nc.jetstream()
    try:
        if args.action == "list":
            info = await js.stream_info(naming.DLQ_STREAM)
            first = max(info.state.first_seq, info.state.last_seq - args.limit + 1)
            rows = []
            for seq in range(first, info.state.last_seq + 1):
                try:
                    rows.append(_dead_letter_view(await js.get_msg(naming.DLQ_STREAM, seq), False))
                except NotFoundError:
                    continue
            _print(rows)
            return 0
        msg = await js.get_msg(naming.DLQ_STREAM, args.seq)
        view = _dead_letter_view(msg, True)
        if args.action == "inspect":
            _print(view)
            return 0
        if view["kind"] != "dead-letter" or not view["original_subject"]:
            print("only dead letters (not bare advisories) carry a payload to replay", file=sys.stderr)
            return 2
        # A fresh Nats-Msg-Id so JetStream accepts it; consumers that already handled the
        # event skip it through their inbox, the one that failed handles it again.
        replay_id = f"replay-{args.seq}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}"
        ack = await js.publish(view["original_subject"], msg.data or b"", headers={naming.HEADER_MSG_ID: replay_id})
        print(f"replayed DLQ #{args.seq} to {view['original_subject']} as stream seq {ack.seq}")
        return 0
    finally:
        await nc.drain()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="alumni-ops", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nats-url", default=os.environ.get("NATS_URL", "nats://127.0.0.1:4222"))
    parser.add_argument("--nats-user", default=os.environ.get("NATS_USER"),
                        help="NATS user (`ops`; password from NATS_PASSWORD)")
    sub = parser.add_subparsers(dest="command", required=True)
    topo = sub.add_parser("topology", help="declare or show the NATS topology")
    topo.add_argument("action", choices=["apply", "show"])
    out = sub.add_parser("outbox", help="outbox status of one service database")
    out.add_argument("action", choices=["status"])
    out.add_argument("--mongo-uri", default=os.environ.get("MONGO_URI", "mongodb://127.0.0.1:27017"))
    out.add_argument("--db", required=True, help="service database, e.g. alumni_members")
    dlq = sub.add_parser("dlq", help="dead letters")
    dlq_sub = dlq.add_subparsers(dest="action", required=True)
    dlq_list = dlq_sub.add_parser("list")
    dlq_list.add_argument("--limit", type=int, default=50)
    for name in ("inspect", "replay"):
        p = dlq_sub.add_parser(name)
        p.add_argument("seq", type=int)
    conf = sub.add_parser("nats-config", help="print the generated nats-server configuration")
    conf.add_argument("--partner-tenants", default="", help="comma-separated tenants that get a partner account")
    partner = sub.add_parser("partner", help="a partner account's stream")
    partner.add_argument("action", choices=["stream"])
    partner.add_argument("--tenant", required=True)
    args = parser.parse_args(argv)
    runner = {"topology": _topology, "outbox": _outbox, "dlq": _dlq, "nats-config": _nats_config,
              "partner": _partner}[args.command]
    return asyncio.run(runner(args))


if __name__ == "__main__":
    raise SystemExit(main())
