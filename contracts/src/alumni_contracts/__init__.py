"""Public contracts of the alumni platform.

Only this package crosses a service boundary: the CloudEvents envelope, the versioned event
models, the command/query payloads exchanged with the gateway, and the naming rules for
subjects, streams and durable consumers. It is pure pydantic: no I/O.
"""

from alumni_contracts.envelope import CloudEvent, EventData, new_event_id
from alumni_contracts.registry import REGISTRY, EventRegistry, UnknownEventType

__all__ = ["REGISTRY", "CloudEvent", "EventData", "EventRegistry", "UnknownEventType", "new_event_id"]
