"""Writes for pathways: loading the shipped content files (docs/pathway-content-format.md)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from amparo.core.i18n import LANGUAGE_CODES
from amparo.directory.models import ServiceType
from amparo.directory.taxonomy import SERVICE_TYPE_BY_CODE

from .models import Helpline, Pathway, PathwayStep

CONTENT_DIR = Path(__file__).resolve().parent / "content"
_STEP_TEXTS = ("title", "what_to_do", "your_rights", "what_to_ask", "what_to_expect", "time_limit")


class ContentError(ValueError):
    """A content file that does not follow the format; the message names the file and the problem."""


def _texts(prefix: str, value: Any, where: str, *, required: bool) -> dict[str, str]:
    if value is None and not required:
        return {}
    if not isinstance(value, dict) or set(value) != set(LANGUAGE_CODES):
        raise ContentError(f"{where}: '{prefix}' must have exactly the languages {', '.join(LANGUAGE_CODES)}")
    if required and not all(isinstance(v, str) and v.strip() for v in value.values()):
        raise ContentError(f"{where}: '{prefix}' has an empty translation")
    return {f"{prefix}_{code}": str(value[code]).strip() for code in LANGUAGE_CODES}


def _validate(obj: Any, where: str) -> None:
    try:
        obj.full_clean(exclude=["pathway"])
    except ValidationError as exc:
        raise ContentError(f"{where}: {exc.message_dict}") from exc


def _service_types(codes: list[str], where: str) -> list[ServiceType]:
    unknown = [c for c in codes if c not in SERVICE_TYPE_BY_CODE]
    if unknown:
        raise ContentError(f"{where}: unknown service types {unknown}")
    return [ServiceType.objects.get_or_create(code=c)[0] for c in codes]


def _helplines(codes: list[str], where: str) -> list[Helpline]:
    found = {h.code: h for h in Helpline.objects.filter(code__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise ContentError(f"{where}: unknown helplines {missing}")
    return [found[c] for c in codes]


def helplines_load(entries: list[dict[str, Any]], where: str = "helplines.json") -> int:
    for position, entry in enumerate(entries):
        here = f"{where}[{position}]"
        fields: dict[str, Any] = {
            "number": entry.get("number"),
            "scope": entry.get("scope"),
            "confirmed": bool(entry.get("confirmed", True)),
            "position": position,
        }
        fields |= _texts("name", entry.get("name"), here, required=True)
        fields |= _texts("description", entry.get("description"), here, required=False)
        fields |= _texts("hours", entry.get("hours"), here, required=False)
        code = str(entry.get("code") or "")
        helpline = Helpline.objects.filter(code=code).first() or Helpline(code=code)
        for name, value in fields.items():
            setattr(helpline, name, value)
        _validate(helpline, here)
        helpline.save()
    return len(entries)


def pathway_load(data: dict[str, Any], where: str, *, force: bool = False) -> bool:
    """Create or replace one pathway from its content; an older or equal version is left alone unless forced."""
    try:
        slug, version = str(data["slug"]), int(data["version"])
        reviewed_on = date.fromisoformat(data["reviewed_on"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ContentError(f"{where}: missing or invalid slug, version or reviewed_on ({exc})") from exc
    existing = Pathway.objects.filter(slug=slug).first()
    if existing and existing.version >= version and not force:
        return False
    fields: dict[str, Any] = {
        "country": data.get("country", "CO"),
        "position": int(data.get("order", 0)),
        "version": version,
        "reviewed_on": reviewed_on,
    }
    fields |= _texts("title", data.get("title"), where, required=True)
    fields |= _texts("summary", data.get("summary"), where, required=True)
    fields |= _texts("urgent_notice", data.get("urgent_notice"), where, required=False)
    pathway = existing or Pathway(slug=slug)
    for name, value in fields.items():
        setattr(pathway, name, value)
    _validate(pathway, where)
    pathway.save()
    pathway.helplines.set(_helplines(list(data.get("helplines", [])), where))
    pathway.steps.all().delete()
    steps = data.get("steps") or []
    if not steps:
        raise ContentError(f"{where}: a pathway needs at least one step")
    for position, raw in enumerate(steps, start=1):
        here = f"{where} step {position}"
        step_fields: dict[str, Any] = {
            "time_limit_hours": raw.get("time_limit_hours"),
            "sources": "\n".join(raw.get("sources") or []),
        }
        for name in _STEP_TEXTS:
            step_fields |= _texts(name, raw.get(name), here, required=name in {"title", "what_to_do"})
        step = PathwayStep(pathway=pathway, position=position, **step_fields)
        _validate(step, here)
        step.save()
        step.service_types.set(_service_types(list(raw.get("service_types", [])), here))
        step.helplines.set(_helplines(list(raw.get("helplines", [])), here))
    return True


@transaction.atomic
def content_load(directory: Path = CONTENT_DIR, *, force: bool = False) -> tuple[int, int]:
    """Load helplines.json and every pathway file of a directory, all or nothing."""

    def read(path: Path) -> Any:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ContentError(f"{path.name}: {exc}") from exc

    helplines_file = directory / "helplines.json"
    lines = helplines_load(read(helplines_file)) if helplines_file.exists() else 0
    changed = 0
    for path in sorted(directory.glob("*.json")):
        if path.name == "helplines.json":
            continue
        changed += pathway_load(read(path), path.name, force=force)
    return lines, changed
