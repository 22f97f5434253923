"""Export of the whole directory as one HSDS JSON document (docs/hsds.md), streamed object by object."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from . import mapping, selectors

_CHUNK = 500


def _dump(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, allow_nan=False)


def _array(stream: TextIO, key: str, items: Iterable[dict[str, Any]], *, last: bool = False) -> int:
    stream.write(f'"{key}": [')
    count = 0
    for item in items:
        stream.write(",\n" if count else "\n")
        stream.write(_dump(item))
        count += 1
    stream.write("\n]" if count else "]")
    stream.write("\n" if last else ",\n")
    return count


def write_document(stream: TextIO) -> dict[str, int]:
    """Write {"hsds_version", "organizations", "services", "taxonomies", "taxonomy_terms"}; returns the counts.

    One object per line, in a stable order (name, then id), so two exports of the same data are identical.
    """
    stream.write(f'{{"hsds_version": "{mapping.HSDS_VERSION}",\n')
    counts = {
        "organizations": _array(
            stream,
            "organizations",
            (mapping.organization_to_hsds(o) for o in selectors.organizations().iterator(chunk_size=_CHUNK)),
        ),
        "services": _array(
            stream,
            "services",
            (mapping.service_to_hsds(s) for s in selectors.services(full=True).iterator(chunk_size=_CHUNK)),
        ),
        "taxonomies": _array(stream, "taxonomies", mapping.taxonomies()),
        "taxonomy_terms": _array(stream, "taxonomy_terms", mapping.taxonomy_terms(), last=True),
    }
    stream.write("}\n")
    return counts
