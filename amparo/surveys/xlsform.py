"""XLSForm in, XForm out: pyxform (the reference converter) compiles the upload, and this module reads from its
result the schema Amparo keeps beside each version (one entry per question, in form order) and the facets a form
marks with the column `bind::amparo:facet` (settings `namespaces`: amparo="urn:amparo:xforms").

The file is bounded before anything decodes it (size, and for .xlsx the zip's declared sizes); pyxform's errors
come back as problems with their sheet and row where pyxform names them.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from pyxform.errors import PyXFormError
from pyxform.xls2xform import convert

# The facets a question may carry, and the Submission column each fills (`age` fills `age_band` through a band).
FACETS = frozenset(
    {
        "municipality",
        "zone_type",
        "gender_identity",
        "nationality",
        "migratory_status",
        "age_band",
        "age",
        "interview_date",
        "statistics_consent",
    }
)
FACET_BIND = "amparo:facet"
AMPARO_NAMESPACE = "urn:amparo:xforms"
SUFFIXES = {".xlsx": ".xlsx", ".xls": ".xls", ".csv": ".csv"}
# pyxform's JSON types of questions with closed answers (kept in clear for analysis, DESIGN rule 3).
CLOSED_TYPES = frozenset(
    {"select one", "select all that apply", "integer", "decimal", "range", "date", "calculate", "today", "start", "end"}
)
GROUP_TYPES = frozenset({"group", "repeat"})
_ROW = re.compile(r"\[row\s*:\s*(\d+)\]", re.IGNORECASE)
_SHEET = re.compile(r"\b(survey|choices|settings|external_choices|entities)\b", re.IGNORECASE)
_LANG_CODE = re.compile(r"\(([A-Za-z]{2,3}(?:[-_][A-Za-z]{2})?)\)\s*$")


@dataclass(frozen=True)
class FormProblem:
    message: str
    sheet: str = ""
    row: int | None = None

    def __str__(self) -> str:
        where = " · ".join(p for p in (self.sheet, f"{_('row')} {self.row}" if self.row else "") if p)
        return f"{where}: {self.message}" if where else self.message


class XLSFormError(ValueError):
    """The upload is not a form Amparo can publish; `problems` says where and why."""

    def __init__(self, problems: list[FormProblem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class CompiledForm:
    form_id: str
    version: str
    title: str
    xform: str
    md5: str
    languages: list[str]
    schema: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)
    encrypted: bool = False
    public_key: str = ""


def max_xlsform_bytes() -> int:
    return int(getattr(settings, "SURVEYS_MAX_XLSFORM_BYTES", 5 * 1024 * 1024))


def check_bounds(filename: str, data: bytes) -> str:
    """The file's type by its name, after the size and (for .xlsx) zip-bomb checks; raises XLSFormError."""
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix not in SUFFIXES:
        raise XLSFormError([FormProblem(_("An XLSForm is an .xlsx, .xls or .csv file."))])
    if len(data) > max_xlsform_bytes():
        raise XLSFormError(
            [FormProblem(_("The file is larger than %(mb)s MB.") % {"mb": max_xlsform_bytes() // (1024 * 1024)})]
        )
    if suffix == ".xlsx":
        _check_zip(data)
    return suffix


def _check_zip(data: bytes) -> None:
    """Refuse a zip whose declared contents are too big or too compressed before openpyxl inflates it."""
    limit = int(getattr(settings, "SURVEYS_MAX_XLSFORM_INFLATED_BYTES", 50 * 1024 * 1024))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError):
        raise XLSFormError([FormProblem(_("The file is not a valid .xlsx workbook."))]) from None
    total = sum(m.file_size for m in members)
    if len(members) > 1000 or total > limit:
        raise XLSFormError([FormProblem(_("The workbook unpacks to more than the allowed size."))])
    for member in members:
        if member.file_size > 1_000_000 and member.file_size > 200 * max(member.compress_size, 1):
            raise XLSFormError([FormProblem(_("The workbook is compressed suspiciously much; it was not opened."))])


def compile_xlsform(filename: str, data: bytes) -> CompiledForm:
    """Compile an uploaded XLSForm with pyxform, or raise XLSFormError with every problem found."""
    suffix = check_bounds(filename, data)
    warnings: list[str] = []
    try:
        result = convert(data, warnings=warnings, file_type=suffix)
    except PyXFormError as exc:
        raise XLSFormError([problem_from_message(str(exc))]) from None
    except (ValueError, KeyError, TypeError, IndexError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        # Readers of damaged files raise these; the message is pyxform's or the reader's own.
        raise XLSFormError(
            [FormProblem(_("The file could not be read as an XLSForm: %(error)s") % {"error": exc})]
        ) from None
    survey: dict[str, Any] = result._pyxform
    version = str(survey.get("version") or "").strip()
    if not version:
        raise XLSFormError(
            [FormProblem(_("The settings sheet has no version: every published form needs one."), sheet="settings")]
        )
    schema = build_schema(survey)
    bad = unknown_facets(schema)
    if bad:
        raise XLSFormError(
            [
                FormProblem(
                    _("Question “%(name)s” names an unknown facet in bind::amparo:facet.") % {"name": name},
                    sheet="survey",
                )
                for name in bad
            ]
        )
    languages = sorted({lang for q in schema for lang in q["labels"]} - {"default"})
    public_key = str(survey.get("public_key") or "").strip()
    return CompiledForm(
        form_id=str(survey.get("id_string") or survey.get("name")),
        version=version,
        title=str(survey.get("title") or survey.get("id_string")),
        xform=result.xform,
        md5=hashlib.md5(result.xform.encode(), usedforsecurity=False).hexdigest(),
        languages=languages,
        schema=schema,
        warnings=[str(w) for w in warnings],
        encrypted=bool(public_key),
        public_key=public_key,
    )


def problem_from_message(message: str) -> FormProblem:
    row = _ROW.search(message)
    sheet = _SHEET.search(message)
    return FormProblem(
        message=message.strip(), sheet=sheet.group(1).lower() if sheet else "", row=int(row.group(1)) if row else None
    )


def build_schema(survey: dict[str, Any]) -> list[dict[str, Any]]:
    """Every question and group of the pyxform survey, in form order, with its instance path."""
    root = str(survey.get("name") or "data")
    schema: list[dict[str, Any]] = []

    def walk(children: list[dict[str, Any]], path: str, group: str) -> None:
        for child in children:
            name = str(child.get("name", ""))
            kind = str(child.get("type", ""))
            child_path = f"{path}/{name}"
            bind = child.get("bind") or {}
            facet = bind.get(FACET_BIND, "")
            labels = child.get("label") or {}
            if isinstance(labels, str):
                labels = {"default": labels}
            entry: dict[str, Any] = {
                "name": name,
                "path": child_path,
                "type": kind,
                "group": group,
                "facet": str(facet),
                "labels": labels,
                "choices": [
                    {"name": str(c.get("name")), "labels": c.get("label") or {}} for c in child.get("choices") or []
                ],
                "read_only": str(bind.get("readonly", "")).startswith("true"),
                "required": str(bind.get("required", "")).lower() in {"yes", "true", "true()"},
            }
            schema.append(entry)
            if kind in GROUP_TYPES and child.get("children"):
                walk(child["children"], child_path, child_path)

    walk(list(survey.get("children") or []), f"/{root}", "")
    return schema


def unknown_facets(survey_schema: list[dict[str, Any]]) -> list[str]:
    return [q["name"] for q in survey_schema if q.get("facet") and q["facet"] not in FACETS]


def language_code(language: str) -> str:
    """'Español (es)' -> 'es'; a language column without a code keeps its name."""
    match = _LANG_CODE.search(language)
    return match.group(1).lower() if match else language


def label_for(labels: dict[str, str], language: str) -> str:
    """The label in the page's language (by code), else the default, else the first there is."""
    for key, text in labels.items():
        if language_code(key) == language:
            return text
    return labels.get("default") or next(iter(labels.values()), "")
