"""Imports of the CSV and XLSX exports of ODK Central and KoboToolbox (issue 14, item 5).

A file exported from ODK Central or KoboToolbox for the SAME form version is read row by row (streamed: the csv
module, openpyxl in read-only mode), each row is checked against the version's schema and turned into an instance
document built from the form's own XForm template (the document a phone would have sent), and stored through the
same path as a phone submission (`services.receive_import_batch`: the same parsing, identity and extraction checks
as `receive_submission`, in batches). Idempotent on the instance id: a row already stored is counted, not stored
twice. Nothing is stored from a file with errors unless the coordinator asks for the good rows.

Column names, as the tools write them:
- ODK Central (`submissions.csv`, and the XLSX a spreadsheet makes of it): `SubmissionDate` first, then the
  questions with their groups joined by `-` (`group-question`; just `question` with "remove group names"), the
  select_multiple split columns `group-question/choice` (1 or 0) when "split select multiples" is on, then `KEY`
  (the instance id, `uuid:...`), `SubmitterID`, `SubmitterName`, `AttachmentsPresent`, `AttachmentsExpected`,
  `Status`, `ReviewState`, `DeviceID`, `Edits`, `FormVersion`; the meta block is `meta-instanceID`.
- KoboToolbox (CSV with `;` by default, or XLSX): the questions as `group/question` (or without groups, or their
  labels in one language, groups as `Group label/Question label`), select_multiple as one column of space-separated
  choices and/or one column per choice `question/choice` with 1 or 0, `meta/instanceID` when exported, and
  `_id`, `_uuid` (the instance id without its `uuid:` prefix), `_submission_time`, `_validation_status`, `_notes`,
  `_status`, `_submitted_by`, `__version__`, `_tags`, `_index`. Values are choice names ("XML values") or labels.

The time the tool received each interview (Central's `SubmissionDate`, ISO 8601 in UTC with `Z`; Kobo's
`_submission_time`, ISO 8601 in UTC without a zone) becomes the submission's `received_at` when it is there and
valid (from which its retention is counted, and its date when the form asks none); a missing or bad value keeps
the time of the import, and the report counts those rows.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import IO, Any
from uuid import UUID
from xml.etree import ElementTree as ET

from defusedxml import ElementTree as SafeET
from django.utils.translation import gettext as _

XFORMS_NS = "http://www.w3.org/2002/xforms"

# Bounds on untrusted files (DESIGN.md rule 10): the upload itself, and an XLSX once unzipped.
XLSX_MAX_UNZIPPED = 400 * 1024 * 1024
XLSX_MAX_RATIO = 200  # a zip bomb inflates by thousands; real sheets by 5 to 30
XLSX_MAX_MEMBERS = 500
MAX_PROBLEMS_KEPT = 500  # a report lists this many problems, and counts the rest
MAX_COLUMNS = 5000

# Columns the tools add that are not questions: read for the instance id, the version, or ignored.
INSTANCE_ID_COLUMNS = ("meta-instanceid", "meta/instanceid", "instanceid", "key", "_uuid")
CENTRAL_COLUMNS = {
    "submissiondate",
    "key",
    "submitterid",
    "submittername",
    "attachmentspresent",
    "attachmentsexpected",
    "status",
    "reviewstate",
    "deviceid",
    "edits",
    "formversion",
    "meta-instanceid",
    "meta-instancename",
    "meta-deprecatedid",
    "meta-audit",
}
KOBO_COLUMNS = {
    "_id",
    "_uuid",
    "_submission_time",
    "_validation_status",
    "_notes",
    "_status",
    "_submitted_by",
    "__version__",
    "_version_",
    "_tags",
    "_index",
    "_xform_id_string",
    "_attachments",
    "_geolocation",
    "formhub/uuid",
    "meta/instanceid",
    "meta/instancename",
    "meta/rootuuid",
    "meta/deprecatedid",
    "meta/audit",
}
# The column of the time the tool received the interview: ODK Central's SubmissionDate, Kobo's _submission_time.
SUBMISSION_TIME_COLUMNS = ("submissiondate", "_submission_time")
# A submission time is believed between these: no ODK or Kobo server ran before 2000, and one a day ahead of this
# server's clock (the exporting server's clock, a time zone taken wrongly) is not a time of reception.
EARLIEST_SUBMISSION_TIME = datetime(2000, 1, 1, tzinfo=UTC)
SUBMISSION_TIME_SLACK = timedelta(days=1)
NOT_ANSWERED = {"", "n/a"}
SKIPPED_TYPES = {"note", "begin_group", "end_group", "begin_repeat", "end_repeat", "group", "repeat"}
# pyxform's JSON types (the schema's) to the XLSForm words this module checks answers by
TYPE_NAMES = {"select one": "select_one", "select all that apply": "select_multiple", "select_one": "select_one"}
# Answers that are files: the export carries only their name, never the file; nothing is imported for them.
MEDIA_TYPES = {"photo", "image", "audio", "video", "file", "background-audio", "signature"}


class ImportFileError(ValueError):
    """The file cannot be read at all (not a table, too big, a zip bomb, not UTF-8...)."""


@dataclass(frozen=True, eq=False)  # compared and hashed by identity
class Question:
    """One leaf of the form, as the import needs it."""

    name: str
    relative_path: tuple[str, ...]  # under the instance root: ("group", "question")
    type: str  # the XLSForm type: select_one, select_multiple, integer, decimal, date, text, calculate...
    choices: tuple[str, ...]
    choice_labels: dict[str, str]  # casefolded label (any language) -> choice name
    labels: tuple[str, ...]  # the question's labels, every language
    group_labels: tuple[tuple[str, ...], ...]  # per enclosing group, its labels (for label headers)


@dataclass
class Problem:
    row: int  # the row number in the file (the header is row 1)
    column: str
    problem: str


@dataclass
class ImportReport:
    tool: str = ""  # "odk_central", "kobotoolbox" or ""
    rows: int = 0
    valid: int = 0
    already: int = 0  # valid rows whose instance id is already stored
    imported: int = 0
    stored: bool = False  # whether this run stored anything (False for a dry run or a refused file)
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    rows_with_problems: int = 0
    unknown_columns: list[str] = field(default_factory=list)
    unanswered_questions: list[str] = field(default_factory=list)
    # rows whose submission time (SubmissionDate, _submission_time) is there but not a valid time: the import's
    bad_submission_times: int = 0
    file_error: str = ""

    def add(self, problem: Problem) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            self.problems.append(problem)

    @property
    def ok(self) -> bool:
        return not self.file_error and self.problem_count == 0


# --- Reading the file -------------------------------------------------------------------------------------------


def open_table(filename: str, data: IO[bytes]) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    """The header and an iterator of (row number, values) of a CSV or XLSX file; rows are read lazily."""
    lowered = filename.lower()
    if lowered.endswith(".xlsx"):
        return _open_xlsx(data)
    if lowered.endswith((".csv", ".txt")):
        return _open_csv(data)
    raise ImportFileError(_("The file must be a CSV (.csv) or an Excel workbook (.xlsx) exported by ODK or Kobo."))


def _open_csv(data: IO[bytes]) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    head = data.read(64 * 1024)
    data.seek(0)
    if b"\x00" in head:
        raise ImportFileError(_("This is not a text CSV file."))
    try:
        first_line = head.decode("utf-8-sig", errors="strict").splitlines()[0] if head.strip() else ""
    except UnicodeDecodeError:
        # The first 64 KB may end inside a character: decode what is certainly whole.
        try:
            first_line = head[: head.index(b"\n")].decode("utf-8-sig")
        except (ValueError, UnicodeDecodeError) as exc:
            raise ImportFileError(_("The file is not in UTF-8, the encoding ODK and Kobo export.")) from exc
    if not first_line:
        raise ImportFileError(_("The file is empty."))
    delimiter = max((",", ";", "\t"), key=first_line.count)
    text = io.TextIOWrapper(data, encoding="utf-8-sig", newline="")
    reader = csv.reader(text, delimiter=delimiter)
    try:
        header = next(reader)
    except UnicodeDecodeError as exc:
        text.detach()  # the caller's file stays open
        raise ImportFileError(_("The file is not in UTF-8, the encoding ODK and Kobo export.")) from exc
    except csv.Error as exc:
        text.detach()
        raise ImportFileError(_("The first line of the file cannot be read as column names.")) from exc

    def rows() -> Iterator[tuple[int, list[Any]]]:
        number = 1
        try:
            while True:
                try:
                    values = next(reader)
                except StopIteration:
                    return
                except UnicodeDecodeError as exc:
                    raise ImportFileError(_("The file is not in UTF-8 after row %(row)d.") % {"row": number}) from exc
                except csv.Error as exc:
                    raise ImportFileError(
                        _("Row %(row)d cannot be read as CSV (%(error)s).") % {"row": number + 1, "error": exc}
                    ) from exc
                number += 1
                if values:
                    yield number, list(values)
        finally:
            text.detach()  # closing the text layer must not close the caller's file

    return [h.strip() for h in header], rows()


def check_xlsx_archive(data: IO[bytes]) -> None:
    """Refuse a zip bomb before openpyxl inflates anything: members, total size and compression ratio."""
    try:
        archive = zipfile.ZipFile(data)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFileError(_("The file is not an Excel workbook (.xlsx).")) from exc
    members = archive.infolist()
    if len(members) > XLSX_MAX_MEMBERS:
        raise ImportFileError(_("The workbook has too many parts to be an export."))
    total = 0
    for member in members:
        total += member.file_size
        if member.compress_size and member.file_size / member.compress_size > XLSX_MAX_RATIO:
            raise ImportFileError(_("The workbook inflates far beyond its size (a zip bomb?): it was not opened."))
    if total > XLSX_MAX_UNZIPPED:
        raise ImportFileError(_("The workbook is too big once unzipped."))
    names = {m.filename for m in members}
    if "xl/workbook.xml" not in names:
        raise ImportFileError(_("The file is not an Excel workbook (.xlsx)."))
    data.seek(0)


def _open_xlsx(data: IO[bytes]) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    import openpyxl

    check_xlsx_archive(data)
    try:
        workbook = openpyxl.load_workbook(data, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        iterator = sheet.iter_rows(values_only=True)
        header_row = next(iterator, None)
    except Exception as exc:  # openpyxl raises many kinds on a broken workbook
        raise ImportFileError(_("The workbook cannot be read.")) from exc
    if header_row is None:
        raise ImportFileError(_("The file is empty."))
    header = ["" if v is None else str(v).strip() for v in header_row]
    while header and header[-1] == "":
        header.pop()
    if len(header) > MAX_COLUMNS:
        raise ImportFileError(_("The file has too many columns."))

    def rows() -> Iterator[tuple[int, list[Any]]]:
        number = 1
        try:
            for values in iterator:
                number += 1
                row = list(values[: len(header)])
                if all(v is None or v == "" for v in row):
                    continue
                # Kobo writes HXL hashtags as a second row when the form has them.
                if number == 2 and all(v is None or str(v).startswith("#") for v in row):
                    continue
                yield number, row
        except Exception as exc:
            raise ImportFileError(_("Row %(row)d of the workbook cannot be read.") % {"row": number}) from exc
        finally:
            workbook.close()

    return header, rows()


# --- The form: its questions and its instance template ---------------------------------------------------------


def questions_from_schema(schema: Sequence[dict[str, Any]]) -> list[Question]:
    """The leaves of the schema that an export carries (notes and groups have no column)."""
    groups: dict[tuple[str, ...], tuple[str, ...]] = {}
    for item in schema:
        if item.get("type") in {"begin_group", "begin_repeat", "group", "repeat"}:
            groups[_relative(item)] = tuple(_labels(item))
    found = []
    for item in schema:
        kind = str(item.get("type", ""))
        if kind in SKIPPED_TYPES:
            continue
        path = _relative(item)
        if not path or path[:1] == ("meta",):
            continue  # the meta block: the instance id comes from its own column
        choices = tuple(_choice_name(c) for c in item.get("choices") or [])
        choice_labels: dict[str, str] = {}
        for choice in item.get("choices") or []:
            for label in _labels(choice):
                choice_labels.setdefault(label.casefold(), _choice_name(choice))
        group_labels = tuple(groups.get(path[:k], ()) for k in range(1, len(path)))
        found.append(
            Question(
                name=str(item.get("name") or path[-1]),
                relative_path=path,
                type=TYPE_NAMES.get(kind, kind.split(" ")[0]),
                choices=choices,
                choice_labels=choice_labels,
                labels=tuple(_labels(item)),
                group_labels=group_labels,
            )
        )
    return found


def _relative(item: dict[str, Any]) -> tuple[str, ...]:
    """("group", "question") from a path such as "/data/group/question" (the root is dropped)."""
    path = str(item.get("path") or item.get("name") or "")
    parts = [p for p in path.split("/") if p]
    if path.startswith("/") and parts:
        parts = parts[1:]
    return tuple(parts)


def _labels(item: dict[str, Any]) -> list[str]:
    labels = item.get("labels") or item.get("label") or {}
    if isinstance(labels, str):
        return [labels] if labels else []
    return [str(v) for v in labels.values() if v]


def _choice_name(choice: Any) -> str:
    if isinstance(choice, dict):
        return str(choice.get("name", ""))
    return str(choice)


class InstanceTemplate:
    """The primary instance of an XForm, emptied: each row fills a copy of it, as a phone fills the form."""

    def __init__(self, xform: str) -> None:
        root = SafeET.fromstring(xform.encode() if isinstance(xform, str) else xform)
        instance = None
        for element in root.iter(f"{{{XFORMS_NS}}}instance"):
            if "id" not in element.attrib:
                instance = element
                break
        if instance is None or len(instance) == 0:
            raise ValueError("the XForm has no primary instance")
        self.root = _strip_namespace(instance[0])
        for element in self.root.iter():
            if len(element) == 0:
                element.text = None
        self.form_id = self.root.get("id", "")
        self.version = self.root.get("version", "")

    def fill(self, answers: dict[tuple[str, ...], str], instance_id: str) -> bytes:
        document = deepcopy(self.root)
        for path, value in answers.items():
            element = _find(document, path)
            if element is not None:
                element.text = value
        meta_id = _find(document, ("meta", "instanceID"))
        if meta_id is None:
            meta = _find(document, ("meta",))
            if meta is None:
                meta = ET.SubElement(document, "meta")
            meta_id = ET.SubElement(meta, "instanceID")
        meta_id.text = instance_id
        return ET.tostring(document, encoding="utf-8", xml_declaration=False)

    def has(self, path: tuple[str, ...]) -> bool:
        return _find(self.root, path) is not None


def _strip_namespace(element: ET.Element) -> ET.Element:
    copy = ET.Element(_local(element.tag), dict(element.attrib))
    copy.text = element.text
    for child in element:
        copy.append(_strip_namespace(child))
    return copy


def _local(tag: str) -> str:
    if tag.startswith(f"{{{XFORMS_NS}}}"):
        return tag.split("}", 1)[1]
    return tag


def _find(element: ET.Element, path: tuple[str, ...]) -> ET.Element | None:
    current: ET.Element | None = element
    for part in path:
        if current is None:
            return None
        current = next((c for c in current if c.tag == part), None)
    return current


# --- Matching the columns to the schema ------------------------------------------------------------------------


@dataclass
class ColumnMap:
    questions: dict[int, Question]  # column index -> question (the whole answer)
    split: dict[int, tuple[Question, str]]  # column index -> (select_multiple question, choice name)
    instance_id: list[tuple[int, str]]  # (column index, lowercased name), in order of preference
    form_version: int | None
    unknown: list[str]
    unanswered: list[Question]
    tool: str
    submission_time: int | None = None  # column index of SubmissionDate / _submission_time


def match_columns(header: Sequence[str], questions: Sequence[Question]) -> ColumnMap:
    """Match each column to a question (or a select_multiple choice), whatever the tool's naming."""
    names: dict[str, Question | None] = {}
    labels: dict[str, Question | None] = {}

    def offer(table: dict[str, Question | None], key: str, question: Question) -> None:
        key = key.strip().casefold()
        if not key:
            return
        if key in table and table[key] is not question:
            table[key] = None  # ambiguous: used by two questions
        else:
            table[key] = question

    for q in questions:
        path = q.relative_path
        offer(names, "/".join(path), q)
        offer(names, "-".join(path), q)
        offer(names, ".".join(path), q)
    for q in questions:  # bare names last: a full path wins over a bare name
        if q.name.casefold() not in names:
            offer(names, q.name, q)
    for q in questions:
        for label in q.labels:
            offer(labels, label, q)
            for prefix in _group_label_paths(q):
                offer(labels, f"{prefix}/{label}", q)

    lowered = [h.strip().casefold() for h in header]
    questions_at: dict[int, Question] = {}
    split: dict[int, tuple[Question, str]] = {}
    unknown: list[str] = []
    id_columns: list[tuple[int, str]] = []
    form_version = None
    submission_time = None
    central = kobo = 0
    for index, key in enumerate(lowered):
        if key in INSTANCE_ID_COLUMNS:
            id_columns.append((index, key))
        if key == "formversion":
            form_version = index
        if key in SUBMISSION_TIME_COLUMNS and key not in names and submission_time is None:
            submission_time = index
        if key in CENTRAL_COLUMNS and key not in names:
            central += 1
            continue
        if key in KOBO_COLUMNS and key not in names:
            kobo += 1
            continue
        question = names.get(key) or labels.get(key)
        if question is not None:
            questions_at[index] = question
            continue
        choice = _split_column(key, names, labels)
        if choice is not None:
            split[index] = choice
            continue
        if key == "":
            continue
        if key.startswith("_") and (key.endswith(("_latitude", "_longitude", "_altitude", "_precision"))):
            continue  # Kobo's geopoint parts; the whole point is its own column
        unknown.append(header[index])
    id_columns.sort(key=lambda item: INSTANCE_ID_COLUMNS.index(item[1]))
    answered = set(questions_at.values()) | {q for q, _ in split.values()}
    skipped = {"calculate", "start", "end", "today", "deviceid", *MEDIA_TYPES}
    unanswered = [q for q in questions if q not in answered and q.type not in skipped]
    tool = "odk_central" if central > kobo else "kobotoolbox" if kobo else ""
    return ColumnMap(questions_at, split, id_columns, form_version, unknown, unanswered, tool, submission_time)


def _group_label_paths(q: Question) -> list[str]:
    """ "Group label/Sub label" prefixes in each language position (Kobo's hierarchy in labels)."""
    if not q.group_labels or any(not labels for labels in q.group_labels):
        return []
    width = min(len(labels) for labels in q.group_labels)
    return ["/".join(labels[k] for labels in q.group_labels) for k in range(width)]


def _split_column(
    key: str, names: dict[str, Question | None], labels: dict[str, Question | None]
) -> tuple[Question, str] | None:
    if "/" not in key:
        return None
    head, _sep, tail = key.rpartition("/")
    for table in (names, labels):
        question = table.get(head)
        if question is not None and question.type == "select_multiple":
            for choice in question.choices:
                if choice.casefold() == tail:
                    return question, choice
            name = question.choice_labels.get(tail)
            if name is not None:
                return question, name
    return None


# --- Checking one row ------------------------------------------------------------------------------------------


@dataclass
class ParsedRow:
    number: int
    instance_id: str
    answers: dict[tuple[str, ...], str]
    problems: list[Problem]
    received_at: datetime | None = None  # the tool's submission time, when there and valid
    bad_submission_time: bool = False  # there, but not a valid time


TRUE_VALUES = {"1", "true", "yes", "1.0"}
FALSE_VALUES = {"0", "false", "no", "0.0", ""}


def parse_row(number: int, values: Sequence[Any], header: Sequence[str], columns: ColumnMap, version: str) -> ParsedRow:
    problems: list[Problem] = []
    answers: dict[tuple[str, ...], str] = {}

    def cell(index: int) -> Any:
        return values[index] if index < len(values) else None

    instance_id = ""
    for index, name in columns.instance_id:
        raw = _text(cell(index)).strip()
        if raw:
            instance_id = _normalise_instance_id(raw, kobo_uuid=name == "_uuid")
            break
    if not instance_id:
        column = header[columns.instance_id[0][0]] if columns.instance_id else "KEY / _uuid / meta/instanceID"
        problems.append(Problem(number, column, _("The row has no instance id.")))
    elif len(instance_id) > 200 or re.search(r"\s", instance_id):
        problems.append(Problem(number, header[columns.instance_id[0][0]], _("The instance id is not valid.")))
    if columns.form_version is not None:
        row_version = _text(cell(columns.form_version)).strip()
        if row_version and row_version != version:
            problems.append(
                Problem(
                    number,
                    header[columns.form_version],
                    _("This row answered version %(row)s of the form, not %(version)s.")
                    % {"row": row_version, "version": version},
                )
            )
    for index, question in columns.questions.items():
        raw = cell(index)
        try:
            value = _convert(question, raw)
        except ValueError as exc:
            problems.append(Problem(number, header[index], str(exc)))
            continue
        if value is not None:
            answers[question.relative_path] = value
    chosen: dict[Question, list[str]] = {}
    for index, (question, choice) in columns.split.items():
        flag = _text(cell(index)).strip().casefold()
        if flag in TRUE_VALUES:
            chosen.setdefault(question, []).append(choice)
        elif flag not in FALSE_VALUES:
            problems.append(Problem(number, header[index], _("Expected 1 or 0 (chosen or not).")))
    for question, names in chosen.items():
        if question.relative_path not in answers:
            answers[question.relative_path] = " ".join(c for c in question.choices if c in names)
    parsed = ParsedRow(number, instance_id, answers, problems)
    if columns.submission_time is not None:
        raw_time = cell(columns.submission_time)
        if _text(raw_time).strip():
            parsed.received_at = submission_time(raw_time)
            parsed.bad_submission_time = parsed.received_at is None
    return parsed


def submission_time(value: Any, now: datetime | None = None) -> datetime | None:
    """The time the tool received the interview, aware, or None when it is not a believable time. Central writes
    `2026-11-21T10:00:00.000Z`, Kobo `2026-11-20T15:21:00` (UTC, without a zone); a spreadsheet may hold a
    datetime. A time without a zone is UTC, as both tools keep it."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())  # Python 3.11: "Z", fractions, a space for the "T"
        except ValueError:
            return None
    else:
        return None  # a number or a bare date is not a time of reception
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=UTC)
    latest = (now or datetime.now(UTC)) + SUBMISSION_TIME_SLACK
    if not EARLIEST_SUBMISSION_TIME <= moment <= latest:
        return None
    return moment


def _normalise_instance_id(raw: str, *, kobo_uuid: bool) -> str:
    if kobo_uuid and not raw.startswith("uuid:"):
        try:
            return f"uuid:{UUID(raw)}"
        except ValueError:
            return raw
    return raw


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _convert(question: Question, raw: Any) -> str | None:
    """The answer as the instance document writes it, or None when unanswered; ValueError names the problem."""
    text = _text(raw).strip()
    if text.casefold() in NOT_ANSWERED:
        return None
    kind = question.type
    if kind in MEDIA_TYPES:
        return None  # a file's name without the file: not imported
    if kind == "select_one":
        if text in question.choices:
            return text
        name = question.choice_labels.get(text.casefold())
        if name is not None:
            return name
        raise ValueError(_("“%(value)s” is not one of the choices of this question.") % {"value": _short(text)})
    if kind == "select_multiple":
        whole = question.choice_labels.get(text.casefold())
        if whole is not None:
            return whole
        picked = text.split()
        unknown = [p for p in picked if p not in question.choices]
        if unknown:
            raise ValueError(
                _("“%(value)s” is not one of the choices of this question.") % {"value": _short(unknown[0])}
            )
        return " ".join(c for c in question.choices if c in picked)
    if kind == "integer":
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError(_("“%(value)s” is not a whole number.") % {"value": _short(text)}) from exc
        if number != number.to_integral_value():
            raise ValueError(_("“%(value)s” is not a whole number.") % {"value": _short(text)})
        return str(int(number))
    if kind == "decimal":
        try:
            number = Decimal(text.replace(",", ".") if text.count(",") == 1 and "." not in text else text)
        except InvalidOperation as exc:
            raise ValueError(_("“%(value)s” is not a number.") % {"value": _short(text)}) from exc
        if not number.is_finite():
            raise ValueError(_("“%(value)s” is not a number.") % {"value": _short(text)})
        return format(number, "f")
    if kind in {"date", "today"}:
        candidate = text[:10]
        try:
            return date.fromisoformat(candidate).isoformat()
        except ValueError as exc:
            raise ValueError(_("“%(value)s” is not a date (year-month-day).") % {"value": _short(text)}) from exc
    if kind in {"datetime", "start", "end"}:
        try:
            datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(_("“%(value)s” is not a date and time.") % {"value": _short(text)}) from exc
        return text
    return text


def _short(value: str) -> str:
    return value if len(value) <= 40 else value[:37] + "..."


# --- The run -----------------------------------------------------------------------------------------------------


# [(instance id, xml, the tool's submission time or None)] -> (created, already)
Store = Callable[[list[tuple[str, bytes, datetime | None]]], tuple[int, int]]
Existing = Callable[[list[str]], set[str]]  # instance ids -> those already stored


def run(
    *,
    filename: str,
    data: IO[bytes],
    schema: Sequence[dict[str, Any]],
    xform: str,
    version: str,
    mode: str,
    existing: Existing,
    store: Store,
    batch_size: int = 500,
) -> ImportReport:
    """Check (and, unless `mode` is "dry_run", store) the rows of an export.

    mode: "dry_run" stores nothing; "all" stores only if no row has a problem (two passes over the file: check,
    then store); "good_rows" stores the rows without problems and reports the others.
    """
    if mode not in {"dry_run", "all", "good_rows"}:
        raise ValueError(mode)
    report = ImportReport()
    try:
        template = InstanceTemplate(xform)
        questions = [q for q in questions_from_schema(schema) if template.has(q.relative_path)]
        header, rows = open_table(filename, data)
        columns = match_columns(header, questions)
        report.tool = columns.tool
        report.unknown_columns = columns.unknown
        report.unanswered_questions = [q.name for q in columns.unanswered]
        if not columns.instance_id:
            raise ImportFileError(
                _("No column holds the instance id (ODK: KEY or meta-instanceID; Kobo: _uuid or meta/instanceID).")
            )
        if not columns.questions and not columns.split:
            raise ImportFileError(_("No column matches a question of this form version: is it the right form?"))
        store_now = mode == "good_rows"
        _pass(report, header, rows, columns, template, version, existing, store if store_now else None, batch_size)
        if mode == "all" and report.ok and report.valid:
            data.seek(0)
            header, rows = open_table(filename, data)
            second = ImportReport()
            _pass(second, header, rows, columns, template, version, existing, store, batch_size)
            report.imported, report.already = second.imported, second.already
            report.stored = True
        elif store_now:
            report.stored = True
    except ImportFileError as exc:
        report.file_error = str(exc)
    return report


def _pass(
    report: ImportReport,
    header: list[str],
    rows: Iterable[tuple[int, list[Any]]],
    columns: ColumnMap,
    template: InstanceTemplate,
    version: str,
    existing: Existing,
    store: Store | None,
    batch_size: int,
) -> None:
    seen: dict[str, int] = {}
    batch: list[tuple[str, bytes, datetime | None]] = []
    pending_ids: list[str] = []

    def flush() -> None:
        if store is not None and batch:
            created, already = store(batch)
            report.imported += created
            report.already += already
        elif store is None and pending_ids:
            report.already += len(existing(pending_ids))
        batch.clear()
        pending_ids.clear()

    for number, values in rows:
        report.rows += 1
        parsed = parse_row(number, values, header, columns, version)
        if parsed.bad_submission_time:
            report.bad_submission_times += 1
        if parsed.instance_id and not parsed.problems:
            first = seen.get(parsed.instance_id)
            if first is not None:
                parsed.problems.append(
                    Problem(
                        number,
                        header[columns.instance_id[0][0]],
                        _("The same instance id is already on row %(row)d.") % {"row": first},
                    )
                )
            else:
                seen[parsed.instance_id] = number
        if parsed.problems:
            report.rows_with_problems += 1
            for problem in parsed.problems:
                report.add(problem)
            continue
        report.valid += 1
        if store is not None:
            batch.append((parsed.instance_id, template.fill(parsed.answers, parsed.instance_id), parsed.received_at))
        else:
            pending_ids.append(parsed.instance_id)
        if len(batch) >= batch_size or len(pending_ids) >= batch_size:
            flush()
    flush()


# --- Storing: the entry points' one call ---------------------------------------------------------------------------


def max_import_bytes() -> int:
    """The largest export the staff page takes (the management command reads bigger files from disk)."""
    from django.conf import settings

    return int(getattr(settings, "SURVEYS_MAX_IMPORT_BYTES", 20 * 1024 * 1024))


def import_file(*, version: Any, filename: str, data: IO[bytes], mode: str, user: Any) -> ImportReport:
    """Check, and unless it is a dry run store, an export of `version` (a FormVersion); batches go through
    `services.receive_import_batch` (the checks of a phone's submission, idempotent, audited)."""
    from .models import Submission
    from .services import SubmissionError, receive_import_batch

    if version.encrypted:
        report = ImportReport()
        report.file_error = _(
            "This form is encrypted on the phones: its answers are stored only encrypted, so an export in clear "
            "cannot be imported into it."
        )
        return report

    def existing(instance_ids: list[str]) -> set[str]:
        found = Submission.objects.filter(form_id=version.form_id, instance_id__in=instance_ids)
        return set(found.values_list("instance_id", flat=True))

    def store(batch: list[tuple[str, bytes, datetime | None]]) -> tuple[int, int]:
        return receive_import_batch(version=version, documents=batch, user=user)

    try:
        return run(
            filename=filename,
            data=data,
            schema=version.schema,
            xform=version.xform,
            version=version.version,
            mode=mode,
            existing=existing,
            store=store,
        )
    except SubmissionError as exc:
        report = ImportReport()
        report.file_error = exc.message
        return report
