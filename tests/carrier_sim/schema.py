"""A small JSON Schema validator for the subset docs/bridge-protocol.yaml uses.

jsonschema is not installed. Supported: $ref, type (one or a list), properties, required,
additionalProperties: false, items, enum, pattern, minLength, maxLength, minimum, maximum, oneOf.
``format`` is informative only.
"""

from __future__ import annotations

from collections.abc import Mapping
import re
from typing import Any

_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def resolve(spec: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _is_type(value: object, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, _TYPES[name])


def errors(
    spec: Mapping[str, Any], schema: Mapping[str, Any], value: object, at: str = "$"
) -> list[str]:
    """Every way ``value`` breaks ``schema`` (empty: valid)."""
    schema = resolve(spec, schema)
    found: list[str] = []
    if "oneOf" in schema:
        matches = sum(not errors(spec, option, value, at) for option in schema["oneOf"])
        if matches != 1:
            found.append(f"{at}: matches {matches} of oneOf")
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is_type(value, name) for name in names):
            return [*found, f"{at}: {value!r} is not {names}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{at}: {value!r} not in {schema['enum']}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            found.append(f"{at}: {value!r} does not match {schema['pattern']}")
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", 10**9):
            found.append(f"{at}: length {len(value)} out of range")
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and not schema.get("minimum", value) <= value <= schema.get("maximum", value)
    ):
        found.append(f"{at}: {value} out of range")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                found.append(f"{at}: missing {key}")
        for key, item in value.items():
            if key in properties:
                found += errors(spec, properties[key], item, f"{at}.{key}")
            elif schema.get("additionalProperties") is False:
                found.append(f"{at}: unexpected {key}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            found += errors(spec, schema["items"], item, f"{at}[{index}]")
    return found
