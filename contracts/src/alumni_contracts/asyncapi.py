"""AsyncAPI 3.1 documents, one per service, generated from the contracts (docs/asyncapi/).

Partners read them to subscribe: each published event is a channel
`evt.{tenant}.<service>.<event>.v<major>` whose messages are CloudEvents (the payload schema
is the committed JSON Schema of the envelope with its `data`).
"""

from __future__ import annotations

import json
from typing import Any

from alumni_contracts import naming
from alumni_contracts.envelope import EventData
from alumni_contracts.registry import REGISTRY
from alumni_contracts.schemas import schema_of
from alumni_contracts.subscriptions import SUBSCRIPTIONS

VERSION = "1.0.0"


def _key(model: type[EventData]) -> str:
    return f"{model.service}_{model.event_name}_v{model.version}"


def _payload(model: type[EventData]) -> dict[str, Any]:
    schema = schema_of(model)
    defs = schema.pop("$defs", {})
    text = json.dumps(schema).replace("#/$defs/", f"#/components/schemas/{_key(model)}_")
    return {"schema": json.loads(text), "defs": {f"{_key(model)}_{k}": json.loads(
        json.dumps(v).replace("#/$defs/", f"#/components/schemas/{_key(model)}_")) for k, v in defs.items()}}


def document(service: str) -> dict[str, Any]:
    published = [m for m in REGISTRY.models() if m.service == service]
    consumed = [s.event for s in SUBSCRIPTIONS if s.consumer == service]
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for model, action in [*((m, "send") for m in published), *((m, "receive") for m in consumed)]:
        key = _key(model)
        payload = _payload(model)
        schemas.update(payload["defs"])
        schemas[key] = payload["schema"]
        messages[key] = {
            "name": model.type_name(),
            "title": model.type_name(),
            "summary": (model.__doc__ or "").strip(),
            "contentType": "application/cloudevents+json",
            "headers": {"type": "object", "properties": {
                naming.HEADER_MSG_ID: {"type": "string", "description": "Event id; JetStream deduplication key."},
                naming.HEADER_CORRELATION: {"type": "string", "description": "Correlation id of the flow."}}},
            "payload": {"$ref": f"#/components/schemas/{key}"},
        }
        channels[key] = {
            "address": naming.event_filter(model.service, model.event_name, model.version).replace(
                "evt.*.", "evt.{tenant}."),
            "description": f"JetStream stream `{naming.stream_name(model.service)}`.",
            "parameters": {"tenant": {"description": "Tenant (organisation) slug, [a-z0-9-]{2,32}."}},
            "messages": {key: {"$ref": f"#/components/messages/{key}"}},
        }
        operations[f"{action}_{key}"] = {
            "action": action,
            "channel": {"$ref": f"#/channels/{key}"},
            "messages": [{"$ref": f"#/channels/{key}/messages/{key}"}],
        }
    return {
        "asyncapi": "3.1.0",
        "info": {"title": f"Alumni platform — {service} events", "version": VERSION,
                 "description": "CloudEvents 1.0 (structured JSON) over NATS JetStream; at-least-once: "
                                "deduplicate on `id`. Unknown fields must be ignored."},
        "defaultContentType": "application/cloudevents+json",
        "servers": {"nats": {"host": "nats.example.org:4222", "protocol": "nats",
                             "description": "Your deployment's NATS server (tenant-scoped credentials)."}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def render(service: str) -> str:
    return json.dumps(document(service), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
