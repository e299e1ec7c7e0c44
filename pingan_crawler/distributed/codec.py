"""Items on the wire: the spider's dataclasses as JSON, bytes and all, and back.

JSON rather than pickle so that the writer never runs code a Redis client chose, and so a
message can be read with ``redis-cli``. Snapshot bodies travel zlib-compressed in base64. Only
the dataclasses of :mod:`pingan_crawler.items` (and what they hold) can be rebuilt, so an item
type added there later travels without changes here.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import uuid
import zlib
from datetime import datetime
from typing import Any

from pingan_crawler import items

TYPES: dict[str, type] = {
    name: obj
    for name, obj in vars(items).items()
    if isinstance(obj, type) and dataclasses.is_dataclass(obj)
}


class MessageError(ValueError):
    """A message the writer cannot read; it names what is wrong."""


def encode_value(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        name = type(value).__name__
        if TYPES.get(name) is not type(value):
            raise TypeError(f"{name} is not an item type of pingan_crawler.items")
        fields = {f.name: encode_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"$type": name, **fields}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(zlib.compress(value, 6)).decode("ascii")}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, tuple):
        return {"$tuple": [encode_value(v) for v in value]}
    if isinstance(value, list):
        return [encode_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode_value(v) for k, v in value.items()}
    return value


def decode_value(value: Any) -> Any:
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "$type" in value:
        name = value["$type"]
        cls = TYPES.get(name)
        if cls is None:
            raise MessageError(f"unknown item type {name!r} (writer older than the workers?)")
        fields = {k: decode_value(v) for k, v in value.items() if k != "$type"}
        try:
            return cls(**fields)
        except TypeError as exc:
            raise MessageError(f"{name} fields do not match: {exc}") from exc
    if "$bytes" in value:
        return zlib.decompress(base64.b64decode(value["$bytes"]))
    if "$datetime" in value:
        return datetime.fromisoformat(value["$datetime"])
    if "$tuple" in value:
        return tuple(decode_value(v) for v in value["$tuple"])
    return {k: decode_value(v) for k, v in value.items()}


@dataclasses.dataclass(frozen=True)
class Message:
    """One entry of the items list: an item, or the start or end of a worker's crawl.

    ``id`` makes a replay recognisable (the writer records every id it committed);
    ``worker`` names the worker process, whose crawl is one ``crawls`` row.
    """

    kind: str  # "item", "start" or "finish"
    worker: str
    site: str
    body: Any  # the item; the crawl's args (start); {"reason", "stats"} (finish)
    id: str = dataclasses.field(default_factory=lambda: uuid.uuid4().hex)

    def dumps(self) -> bytes:
        payload = {
            "id": self.id,
            "kind": self.kind,
            "worker": self.worker,
            "site": self.site,
            "body": encode_value(self.body),
        }
        return json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")

    @classmethod
    def loads(cls, raw: bytes) -> Message:
        try:
            payload = json.loads(raw)
            kind, worker, site, ident = (payload[k] for k in ("kind", "worker", "site", "id"))
        except (ValueError, KeyError, TypeError) as exc:
            raise MessageError(f"not a pingan message: {exc}: {raw[:120]!r}") from exc
        if kind not in ("item", "start", "finish"):
            raise MessageError(f"unknown message kind {kind!r}")
        return cls(kind, worker, site, decode_value(payload["body"]), ident)
