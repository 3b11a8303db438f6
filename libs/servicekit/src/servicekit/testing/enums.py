"""Keep enums mirrored across the domain/contracts boundary in step.

A domain may not import contracts, so an enum a request or an event carries exists twice: the
contract's and the domain's, converted by value (`Section(v.value)`, `c.GroupRole(m.role.value)`).
A value added on one side only is a 500 at that conversion, found by a user. Each service's
tests list its mirrored pairs and call `assert_mirrored` on each.
"""

from __future__ import annotations

import enum
import types
from collections.abc import Iterable
from typing import Any, Literal, Union, get_args, get_origin


def enum_values(kind: Any) -> frozenset[str]:
    """The values of an Enum class or of a `Literal[...]` (also inside `list[...]` or `X | None`)."""
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return frozenset(str(m.value) for m in kind)
    origin = get_origin(kind)
    if origin is Literal:
        return frozenset(str(a) for a in get_args(kind))
    if origin in (list, set, frozenset, tuple, Union, types.UnionType):
        return frozenset().union(*(enum_values(a) for a in get_args(kind) if a is not type(None)))
    raise TypeError(f"{kind!r} is neither an Enum nor a Literal")


def mirror_mismatches(contract: Any, domain: Any, *, contract_only: Iterable[str] = (),
                      domain_only: Iterable[str] = ()) -> list[str]:
    """What does not map, both ways; `contract_only` / `domain_only` are the values that are
    deliberately on one side only (say why where you list them)."""
    c, d = enum_values(contract), enum_values(domain)
    name_c, name_d = getattr(contract, "__name__", repr(contract)), getattr(domain, "__name__", repr(domain))
    problems = [f"contract {name_c} value {v!r} has no domain {name_d} value"
                for v in sorted(c - d - frozenset(contract_only))]
    problems += [f"domain {name_d} value {v!r} has no contract {name_c} value"
                 for v in sorted(d - c - frozenset(domain_only))]
    problems += [f"{v!r} is declared one-sided but exists on both sides"
                 for v in sorted((frozenset(contract_only) | frozenset(domain_only)) & c & d)]
    for kind, values in ((contract, c), (domain, d)):
        if isinstance(kind, type) and issubclass(kind, enum.Enum):
            problems += [f"{kind.__name__}({v!r}) does not convert back" for v in values if kind(v).value != v]
    return problems


def assert_mirrored(contract: Any, domain: Any, *, contract_only: Iterable[str] = (),
                    domain_only: Iterable[str] = ()) -> None:
    problems = mirror_mismatches(contract, domain, contract_only=contract_only, domain_only=domain_only)
    assert not problems, "; ".join(problems)
