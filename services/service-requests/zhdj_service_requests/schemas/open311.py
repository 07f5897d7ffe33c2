"""Open311 GeoReport v2 documents and their two wire formats, JSON and XML.

Every document is built once as plain data (lists of dicts of strings, numbers, booleans and
nested lists) and rendered by :func:`render`: JSON with ``orjson``, XML with the standard
library's ``xml.etree`` (which escapes ``& < >`` and quotes; Chinese text is written as UTF-8).
Ids and codes are strings, times ISO 8601 with their offset, as the specification asks.

Errors follow Open311's own format, ``[{"code": 404, "description": "..."}]`` or
``<errors><error>...</error></errors>``, not the platform's problem+json: Open311 clients parse
that shape (docs/decisions/0005-open311-errors.md).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

import orjson
from starlette.responses import Response

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"

# The element name of one item of a list, by the list's name (the specification's XML).
LIST_ITEMS: dict[str, str] = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}
# Characters XML 1.0 cannot carry at all (escaping does not help): dropped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class Format(StrEnum):
    JSON = "json"
    XML = "xml"

    @property
    def media_type(self) -> str:
        return "application/json" if self is Format.JSON else "text/xml; charset=utf-8"


Document = Sequence[Mapping[str, Any]] | Mapping[str, Any]


def render(fmt: Format, root: str, document: Document, *, status: int = 200) -> Response:
    """``document`` under ``root`` (``services``, ``service_requests``...) in ``fmt``."""
    if fmt is Format.JSON:
        content = orjson.dumps(document)
    else:
        element = ET.Element(root)
        _fill(element, root, document)
        content = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(
            element, encoding="utf-8", xml_declaration=False
        )
    return Response(content=content, status_code=status, media_type=fmt.media_type)


def error_response(fmt: Format, status: int, description: str) -> Response:
    return render(fmt, "errors", [{"code": status, "description": description}], status=status)


def _fill(element: ET.Element, name: str, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), key, child)
    elif isinstance(value, list | tuple):
        item_tag = LIST_ITEMS.get(name, "item")
        for child in value:
            _fill(ET.SubElement(element, item_tag), item_tag, child)
    elif value is None:
        return  # an empty element: the specification's "no value"
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = _NOT_XML.sub("", str(value))
