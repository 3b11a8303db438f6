"""JSON Schemas of published event versions, and the compatibility rules between versions.

`python -m alumni_contracts.schemas write DIR` regenerates `contracts/schemas/`; it refuses to
overwrite a published schema with an incompatible one (a breaking change needs a `v2`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from alumni_contracts import naming
from alumni_contracts.envelope import CloudEvent, EventData
from alumni_contracts.registry import REGISTRY


def schema_of(model: type[EventData]) -> dict[str, Any]:
    schema = CloudEvent[model].model_json_schema(mode="serialization")  # type: ignore[valid-type]
    schema["$id"] = naming.dataschema(model.service, model.event_name, model.version)
    schema["title"] = model.type_name()
    schema["description"] = (model.__doc__ or "").strip()
    return schema


def all_schemas() -> dict[str, dict[str, Any]]:
    from alumni_contracts.segments import SEGMENT_SCHEMA_PATH, segment_schema  # shared value types, not events

    return {
        **{naming.schema_path(m.service, m.event_name, m.version): schema_of(m) for m in REGISTRY.models()},
        SEGMENT_SCHEMA_PATH: segment_schema(),
    }


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return _resolve(root["$defs"][ref.removeprefix("#/$defs/")], root)
    return schema


def _types(schema: dict[str, Any], root: dict[str, Any]) -> set[str]:
    schema = _resolve(schema, root)
    if "anyOf" in schema:
        out: set[str] = set()
        for option in schema["anyOf"]:
            out |= _types(option, root)
        return out
    if "type" in schema:
        return {schema["type"]} if isinstance(schema["type"], str) else set(schema["type"])
    if "enum" in schema or "const" in schema:
        return {"enum"}
    return {"any"}


def breaking_changes(old: dict[str, Any], new: dict[str, Any], path: str = "") -> list[str]:
    """What a consumer built against `old` would trip over in `new`.

    Consumers are tolerant readers, so adding optional fields is fine; removing a field,
    making a field optional that was required, changing its type or narrowing an enum breaks.
    """
    problems: list[str] = []
    old_root, new_root = old, new

    def walk(o: dict[str, Any], n: dict[str, Any], where: str) -> None:
        o, n = _resolve(o, old_root), _resolve(n, new_root)
        o_props, n_props = o.get("properties", {}), n.get("properties", {})
        o_req, n_req = set(o.get("required", [])), set(n.get("required", []))
        for name, o_field in o_props.items():
            here = f"{where}.{name}" if where else name
            if name not in n_props:
                problems.append(f"{here}: removed")
                continue
            if name in o_req and name not in n_req:
                problems.append(f"{here}: no longer required")
            o_types, n_types = _types(o_field, old_root), _types(n_props[name], new_root)
            if not o_types <= n_types and "any" not in n_types:
                problems.append(f"{here}: type changed from {sorted(o_types)} to {sorted(n_types)}")
            o_enum = _resolve(o_field, old_root).get("enum")
            n_enum = _resolve(n_props[name], new_root).get("enum")
            if o_enum and n_enum and not set(o_enum) <= set(n_enum):
                problems.append(f"{here}: enum values removed {sorted(set(o_enum) - set(n_enum))}")
            walk(o_field, n_props[name], here)

    walk(old, new, path)
    return problems


def write(directory: Path, force: bool = False) -> list[str]:
    """Write every schema; return the paths written. Refuse incompatible rewrites."""
    written: list[str] = []
    for rel, schema in all_schemas().items():
        target = directory / rel
        if target.exists():
            published = json.loads(target.read_text())
            broken = breaking_changes(published, schema)
            if broken and not force:
                raise SystemExit(
                    f"{rel} is published and the new model breaks it: {'; '.join(broken)}."
                    " Publish a new major version (v2) instead."
                )
        text = render(schema)
        if not target.exists() or target.read_text() != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            written.append(rel)
    return written


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "write":
        print("usage: python -m alumni_contracts.schemas write DIR [--force]", file=sys.stderr)
        return 2
    for rel in write(Path(argv[1]), force="--force" in argv):
        print(f"wrote {rel}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
