"""Validation against the vendored HSDS JSON Schemas (Draft 2020-12), one `referencing.Registry` keyed by `$id`.

The individual object schemas in `schemas/` reference each other by relative file name. Upstream's "compiled"
schemas are those same files with every `$ref` inlined, plus one back-reference each: a compiled
`service_at_location` may nest its `service`, and a compiled `organization` its `services`. We express those two
additions as small wrapper schemas over the registry instead of shipping the multi-megabyte compiled files; a
payload that validates here also validates against upstream's compiled schemas (the wrappers are the same shape,
and at most stricter where the compiled files stop descending).

The list shapes (`*_list.json`: the same objects with every array removed) need no schema of their own: no HSDS
schema forbids additional properties or requires an array, so a list item is valid exactly when it is valid
against the full schema.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SCHEMA_DIR = Path(__file__).with_name("schemas")
MAX_ERRORS = 5


@cache
def _schemas() -> dict[str, dict[str, Any]]:
    """The vendored object schemas by HSDS name (service, organization, ...)."""
    by_name = {}
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        by_name[schema["name"]] = schema
    return by_name


@cache
def _registry() -> Registry:
    resources = [(s["$id"], Resource.from_contents(s, default_specification=DRAFT202012)) for s in _schemas().values()]
    return Registry().with_resources(resources)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _schemas()[name]["$id"]}


def _compiled(name: str) -> dict[str, Any]:
    """The compiled (fully nested) shape of `name`, as upstream's schema/compiled/<name>.json."""
    if name == "service_at_location":
        return {"allOf": [_ref("service_at_location")], "properties": {"service": _ref("service")}}
    if name == "organization":
        return {
            "allOf": [_ref("organization")],
            "properties": {"services": {"type": "array", "items": _ref("service")}},
        }
    return _ref(name)


@cache
def validator(name: str) -> Draft202012Validator:
    """A validator for HSDS object `name` in its compiled shape, with format checks (uuid, email, ...)."""
    if name not in _schemas():
        raise KeyError(f"no HSDS schema named {name!r}")
    return Draft202012Validator(
        _compiled(name), registry=_registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def _describe(error: ValidationError) -> str:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, dict):
        # jsonschema reports each missing property as its own error: "'name' is a required property".
        missing = [p for p in error.validator_value if p not in error.instance and error.message.startswith(repr(p))]
        if missing:
            return f"{'/'.join([*path, missing[0]])}: is required"
    message = error.message
    if len(message) > 200:
        message = message[:197] + "..."
    return f"{'/'.join(path) or '(the object itself)'}: {message}"


def errors(name: str, instance: object, *, limit: int = MAX_ERRORS) -> list[str]:
    """Schema errors of `instance` as HSDS object `name`, as "field/path: problem", at most `limit`, by path."""
    found = sorted(validator(name).iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path])
    return [_describe(e) for e in found[:limit]]
