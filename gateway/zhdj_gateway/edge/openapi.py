"""One OpenAPI 3.1 document for the whole platform, and a docs page that needs no CDN.

The identity app's schema comes first, then each upstream's ``/openapi.json`` (fetched with a
short timeout). Paths are merged as they are (the gateway does not rewrite them). Components
with the same name and the same definition are kept once (``ProblemDocument`` is shared);
different definitions under one name are renamed ``<Service>_<Name>`` in the later service's
document, ``$ref``s included. Upstreams that do not answer are listed in ``x-unavailable``.
The merged document is cached for ``ttl`` seconds (a few seconds only when one was missing).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp
import orjson

logger = logging.getLogger("zhdj.gateway.openapi")

Document = dict[str, Any]
SchemaSource = Callable[[], Awaitable[Document | None]]


def _prefix(service: str) -> str:
    return "".join(part.capitalize() for part in service.replace("_", "-").split("-")) + "_"


def _rewrite_refs(node: Any, renames: Mapping[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            key: (
                renames.get(value, value)
                if key == "$ref" and isinstance(value, str)
                else _rewrite_refs(value, renames)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(item, renames) for item in node]
    return node


def _ref(section: str, name: str) -> str:
    return f"#/components/{section}/{name}"


def _renamed_components(
    service: str, components: Mapping[str, Any], merged: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """This service's components with colliding names prefixed, and the ``$ref`` renames.

    Renaming one component changes those that refer to it, which may then collide in turn:
    repeat until nothing new collides.
    """
    renames: dict[str, str] = {}
    while True:
        rewritten: dict[str, Any] = _rewrite_refs(components, renames)
        new: dict[str, str] = {}
        for section, items in rewritten.items():
            existing = merged.get(section, {})
            for name, value in items.items():
                ref = _ref(section, name)
                if ref not in renames and name in existing and existing[name] != value:
                    new[ref] = _ref(section, _prefix(service) + name)
        if not new:
            break
        renames.update(new)
    result: dict[str, Any] = {}
    for section, items in rewritten.items():
        result[section] = {
            renames.get(_ref(section, name), _ref(section, name)).rsplit("/", 1)[1]: value
            for name, value in items.items()
        }
    return result, renames


def merge_documents(
    sources: list[tuple[str, Document]],
    *,
    title: str,
    version: str,
    unavailable: list[str],
) -> Document:
    merged: Document = {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "Every public API of the platform, as served through the gateway.",
        },
        "paths": {},
        "components": {},
        "tags": [],
    }
    components: dict[str, Any] = merged["components"]
    seen_tags: set[str] = set()
    conflicts: list[str] = []
    for service, document in sources:
        own, renames = _renamed_components(service, document.get("components") or {}, components)
        for section, items in own.items():
            components.setdefault(section, {}).update(items)
        for path, item in (document.get("paths") or {}).items():
            if path in merged["paths"]:
                conflicts.append(f"{service}: {path}")
                continue
            merged["paths"][path] = _rewrite_refs(item, renames) if renames else item
        for tag in document.get("tags") or []:
            if isinstance(tag, dict) and tag.get("name") not in seen_tags:
                seen_tags.add(str(tag.get("name")))
                merged["tags"].append(tag)
    merged["x-services"] = [service for service, _ in sources]
    merged["x-unavailable"] = unavailable
    if conflicts:
        merged["x-path-conflicts"] = conflicts
    return merged


class OpenApiAggregator:
    def __init__(
        self,
        identity_schema: SchemaSource,
        upstreams: Mapping[str, str],
        *,
        title: str = "智慧党建 platform API",
        version: str = "0.1.0",
        ttl: float = 60.0,
        degraded_ttl: float = 5.0,
        fetch_timeout: float = 3.0,
    ) -> None:
        self._identity_schema = identity_schema
        self._upstreams = dict(upstreams)
        self._title = title
        self._version = version
        self._ttl = ttl
        self._degraded_ttl = degraded_ttl
        self._timeout = aiohttp.ClientTimeout(total=fetch_timeout)
        self._cached: bytes | None = None
        self._expires = float("-inf")
        self._lock = asyncio.Lock()

    async def document(self, session: aiohttp.ClientSession) -> bytes:
        if self._cached is not None and time.monotonic() < self._expires:
            return self._cached
        async with self._lock:
            if self._cached is None or time.monotonic() >= self._expires:
                await self._rebuild(session)
        assert self._cached is not None
        return self._cached

    async def _rebuild(self, session: aiohttp.ClientSession) -> None:
        names = list(self._upstreams)
        fetched = await asyncio.gather(
            self._identity_schema(), *(self._fetch(session, name) for name in names)
        )
        identity, upstream_docs = fetched[0], fetched[1:]
        sources: list[tuple[str, Document]] = []
        if identity is not None:
            sources.append(("gateway", identity))
        unavailable = []
        for name, document in zip(names, upstream_docs, strict=True):
            if document is None:
                unavailable.append(name)
            else:
                sources.append((name, document))
        merged = merge_documents(
            sources, title=self._title, version=self._version, unavailable=unavailable
        )
        self._cached = orjson.dumps(merged)
        ttl = self._degraded_ttl if unavailable else self._ttl
        self._expires = time.monotonic() + ttl

    async def _fetch(self, session: aiohttp.ClientSession, name: str) -> Document | None:
        url = f"{self._upstreams[name].rstrip('/')}/openapi.json"
        try:
            async with session.get(url, timeout=self._timeout) as response:
                if response.status != 200:
                    raise aiohttp.ClientResponseError(
                        response.request_info, (), status=response.status
                    )
                document = orjson.loads(await response.read())
        except (TimeoutError, aiohttp.ClientError, OSError, orjson.JSONDecodeError) as exc:
            logger.warning(
                "upstream schema unavailable",
                extra={"fields": {"upstream": name, "error": type(exc).__name__}},
            )
            return None
        return document if isinstance(document, dict) else None


DOCS_HTML = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>智慧党建 API</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }
code, .method { font-family: ui-monospace, monospace; }
.op { border-bottom: 1px solid #ddd; padding: .35rem 0; }
.method { display: inline-block; width: 5rem; font-weight: bold; text-transform: uppercase; }
.note { color: #a33; }
</style>
</head>
<body>
<h1>智慧党建 platform API</h1>
<p>The whole platform's OpenAPI 3.1 document:
<a href="/openapi.json"><code>/openapi.json</code></a>.
Load it into Swagger UI, ReDoc, Postman or a client generator.</p>
<p id="status">Loading the operations…</p>
<div id="ops"></div>
<script>
fetch("/openapi.json").then(function (r) { return r.json(); }).then(function (doc) {
  var status = document.getElementById("status");
  var missing = doc["x-unavailable"] || [];
  status.textContent = Object.keys(doc.paths || {}).length + " paths from " +
    (doc["x-services"] || []).join(", ") + ".";
  if (missing.length) {
    var note = document.createElement("p");
    note.className = "note";
    note.textContent = "Unavailable right now: " + missing.join(", ");
    status.after(note);
  }
  var ops = document.getElementById("ops");
  Object.keys(doc.paths || {}).sort().forEach(function (path) {
    var item = doc.paths[path];
    Object.keys(item).forEach(function (method) {
      if (["get", "post", "put", "patch", "delete"].indexOf(method) < 0) { return; }
      var row = document.createElement("div");
      row.className = "op";
      var m = document.createElement("span");
      m.className = "method";
      m.textContent = method;
      var p = document.createElement("code");
      p.textContent = path;
      row.append(m, p, document.createTextNode("  " + (item[method].summary || "")));
      ops.append(row);
    });
  });
}).catch(function (e) {
  document.getElementById("status").textContent = "Could not load /openapi.json: " + e;
});
</script>
</body>
</html>
""".encode()
