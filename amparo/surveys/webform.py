"""Web entry of XLSForm-compiled forms, evaluated on the server (issue 14, item 4). Pure: no models, no requests.

`build(xform_xml)` reads a pyxform XForm into a `WebForm`: its questions (text, integer, decimal, select_one,
select_multiple, date, note and read-only questions, calculate), its groups and the pages they make, labels and
hints per language, and the binds (relevant, required, constraint, calculate, readonly) compiled once into XPath
tokens of `elementpath`. A form that uses a feature the web entry cannot render faithfully raises `Unsupported`
with one problem per question, naming it: it is refused, never rendered wrong.

`evaluate(form, answers)` runs the binds over an instance built from the answers so far, in document order, to a
fixed point: calculates are filled, and a question that is not relevant (or inside a group that is not) loses its
answer. `parse_page(...)` turns what a page posted into answers and the messages to show next to each question;
`instance_xml(...)` writes the instance as ODK Collect would.

XPath: XPath 2 from elementpath, with XForms' XPath 1 comparisons (an empty answer is NaN and compares false, dates
compare as days) and the XForms functions it lacks (`selected`, `count-selected`, `today`, `if`, `regex`, ...).
"""

from __future__ import annotations

import math
import re
import threading
import uuid as uuid_module
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from copy import copy
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from xml.etree import ElementTree as ET

import defusedxml.ElementTree as SafeET
import elementpath
from defusedxml import DefusedXmlException
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from elementpath import XPath2Parser, XPathContext
from elementpath.exceptions import ElementPathError

XF = "http://www.w3.org/2002/xforms"
H = "http://www.w3.org/1999/xhtml"
JR = "http://openrosa.org/javarosa"
ODK = "http://www.opendatakit.org/xforms"
NS = {"xf": XF, "h": H, "jr": JR, "odk": ODK}

# What a page of the web entry can take: the bind types and body controls it renders.
SUPPORTED_TYPES = {"string": "text", "int": "integer", "decimal": "decimal", "date": "date"}
MAX_TEXT = 4000  # characters of one text answer (the state travels in the page)
MAX_XFORM_BYTES = 5 * 1024 * 1024

# Features the web entry refuses, and how they show in the XForm.
UNSUPPORTED_TYPES: dict[str, str | Promise] = {
    "geopoint": "geopoint",
    "geotrace": "geotrace",
    "geoshape": "geoshape",
    "binary": _("image, audio, video or file"),
    "barcode": "barcode",
    "time": "time",
    "dateTime": "dateTime",
}
UNSUPPORTED_FUNCTIONS = ("jr:choice-name", "pulldata", "indexed-repeat", "instance(", "once(", "position(")
LANG_CODE = re.compile(r"\(([a-zA-Z]{2,3})(?:[-_][A-Za-z]+)?\)\s*$")
LANG_NAMES = {
    "es": ("español", "espanol", "spanish", "castellano"),
    "en": ("english", "inglés", "ingles"),
    "pt": ("português", "portugues", "portuguese"),
}
DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")
STRING_LITERAL = re.compile(r"'[^']*'|\"[^\"]*\"")


class Unsupported(Exception):
    """The form uses what the web entry cannot render: `problems` is [(question name, message)]."""

    def __init__(self, problems: list[tuple[str, str | Promise]]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in problems))
        self.problems = problems


# --- XPath: elementpath with XForms' functions and comparisons ----------------------------------------------------


def _string(value: Any) -> str:
    """XPath string() of a value as XForms writes it: the first node's text, numbers without '.0', NaN empty."""
    if isinstance(value, list):
        return _string(value[0]) if value else ""
    if hasattr(value, "string_value"):
        return str(value.string_value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            return ""
        text = format(value.normalize(), "f")
        return text
    if value is None:
        return ""
    return str(value)


def _number(value: Any) -> float:
    """XForms number(): numbers, booleans, numeric text; a date (YYYY-MM-DD...) counts as days since 1970-01-01."""
    if isinstance(value, list):
        return _number(value[0]) if value else math.nan
    if hasattr(value, "string_value"):
        value = value.string_value
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float | Decimal):
        return float(value)
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        pass
    found = DATE.match(text)
    if found:
        try:
            return float((date(*map(int, found.groups())) - date(1970, 1, 1)).days)
        except ValueError:
            return math.nan
    return math.nan


def _boolean(value: Any) -> bool:
    if isinstance(value, list):
        return bool(value)  # a node-set is true when not empty (XPath 1)
    if isinstance(value, str):
        return value != ""
    if isinstance(value, float):
        return not math.isnan(value) and value != 0
    return bool(value)


def _atoms(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [item.string_value if hasattr(item, "string_value") else item for item in value]
    if hasattr(value, "string_value"):
        return [value.string_value]
    return [value]


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}


def _compare_pair(symbol: str, left: Any, right: Any) -> bool:
    op = _OPS[symbol]
    if symbol in ("=", "!="):
        if isinstance(left, bool) or isinstance(right, bool):
            return op(_boolean(left), _boolean(right))
        if isinstance(left, int | float | Decimal) or isinstance(right, int | float | Decimal):
            a, b = _number(left), _number(right)
            if math.isnan(a) or math.isnan(b):
                return symbol == "!="
            return op(a, b)
        return op(_string(left), _string(right))
    a, b = _number(left), _number(right)
    if math.isnan(a) or math.isnan(b):
        return False
    return op(a, b)


def _evaluate_comparison(self: Any, context: Any = None) -> bool:
    left = _atoms(self[0].evaluate(copy(context)))
    right = _atoms(self[1].evaluate(copy(context)))
    return any(_compare_pair(self.symbol, a, b) for a in left for b in right)


class XFormsParser(XPath2Parser):
    """XPath 2 with XForms' XPath 1 comparisons: no error for an empty answer or a date, as Collect evaluates them."""

    symbol_table = dict(XPath2Parser.symbol_table)


for _symbol in _OPS:
    _base = XFormsParser.symbol_table[_symbol]
    XFormsParser.symbol_table[_symbol] = type(
        f"XForms{_base.__name__}", (_base,), {"evaluate": _evaluate_comparison, "__module__": __name__}
    )


def _split(value: Any) -> list[str]:
    return _string(value).split()


def _fn_selected(values: Any, choice: Any) -> bool:
    return _string(choice).strip() in _split(values)


def _fn_count_selected(values: Any) -> int:
    return len(_split(values))


def _fn_selected_at(values: Any, index: Any) -> str:
    items = _split(values)
    position = _number(index)
    if math.isnan(position) or not 0 <= int(position) < len(items):
        return ""
    return items[int(position)]


def _fn_if(condition: Any, then: Any, otherwise: Any) -> Any:
    chosen = then if _boolean(condition) else otherwise
    return _string(chosen) if isinstance(chosen, list) else chosen


def _fn_regex(value: Any, pattern: Any) -> bool:
    try:
        return re.search(_string(pattern), _string(value)) is not None
    except re.error:
        return False


def _fn_int(value: Any) -> float:
    number = _number(value)
    return number if math.isnan(number) or math.isinf(number) else float(math.trunc(number))


def _fn_coalesce(first: Any, second: Any) -> str:
    return _string(first) or _string(second)


def _fn_boolean_from_string(value: Any) -> bool:
    return _string(value).strip() in ("true", "1")


def _fn_substr(value: Any, start: Any, end: Any = None) -> str:
    text = _string(value)
    begin = int(_number(start)) if not math.isnan(_number(start)) else 0
    if end is None:
        return text[begin:]
    stop = _number(end)
    return text[begin : int(stop)] if not math.isnan(stop) else text[begin:]


def _fn_pow(base: Any, exponent: Any) -> float:
    try:
        return float(math.pow(_number(base), _number(exponent)))
    except (OverflowError, ValueError):
        return math.nan


def _fn_count_non_empty(values: Any) -> int:
    return sum(1 for item in _atoms(values) if _string(item) != "")


def _fn_join(separator: Any, *values: Any) -> str:
    items: list[str] = []
    for value in values:
        items.extend(_string(item) for item in _atoms(value))
    return _string(separator).join(items)


def _fn_uuid() -> str:
    return str(uuid_module.uuid4())


# The moment `today()` and `now()` answer, in the server's time zone: set by `start`/`evaluate` for the request.
_NOW: ContextVar[datetime | None] = ContextVar("amparo_webform_now", default=None)


def _now() -> datetime:
    return _NOW.get() or datetime.now().astimezone()


def _fn_today() -> str:
    return _now().date().isoformat()


def _fn_now() -> str:
    return _now().isoformat(timespec="milliseconds")


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "selected": _fn_selected,
    "count-selected": _fn_count_selected,
    "selected-at": _fn_selected_at,
    "amparo-if": _fn_if,
    "regex": _fn_regex,
    "int": _fn_int,
    "coalesce": _fn_coalesce,
    "boolean-from-string": _fn_boolean_from_string,
    "substr": _fn_substr,
    "pow": _fn_pow,
    "count-non-empty": _fn_count_non_empty,
    "join": _fn_join,
    "uuid": _fn_uuid,
    "today": _fn_today,
    "now": _fn_now,
}


def _parser() -> XFormsParser:
    parser = XFormsParser(namespaces={"jr": JR, "odk": ODK})
    for name, function in _FUNCTIONS.items():
        parser.external_function(function, name=name)
    return parser


_PARSERS = threading.local()  # a parser keeps its tokenizer's state while it parses: one per thread


def _xpath_parser() -> XFormsParser:
    parser: XFormsParser | None = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = _parser()
    return parser


def _rewrite(expression: str) -> str:
    """XForms' `if(a, b, c)` is a function; in XPath 2 `if` is a keyword: rename it outside string literals."""
    parts: list[str] = []
    position = 0
    for literal in STRING_LITERAL.finditer(expression):
        parts.append(re.sub(r"\bif\s*\(", "amparo-if(", expression[position : literal.start()]))
        parts.append(literal.group(0))
        position = literal.end()
    parts.append(re.sub(r"\bif\s*\(", "amparo-if(", expression[position:]))
    return "".join(parts)


class Expression:
    """An XPath expression of the form, parsed once."""

    def __init__(self, source: str) -> None:
        self.source = source.strip()
        self.token = _xpath_parser().parse(_rewrite(self.source))

    def evaluate(self, tree: Any, item: Any = None) -> Any:
        context = XPathContext(tree, item=item) if item is not None else XPathContext(tree)
        return self.token.evaluate(context)

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"


# --- The form ----------------------------------------------------------------------------------------------------

Text = tuple[str | Expression, ...]  # a label: text and <output value="..."/> parts


@dataclass(frozen=True)
class Choice:
    value: str
    labels: Mapping[str, Text]


@dataclass
class Question:
    name: str
    path: str
    kind: str  # text, integer, decimal, date, select_one, select_multiple, note, calculate
    labels: Mapping[str, Text] = field(default_factory=dict)
    hints: Mapping[str, Text] = field(default_factory=dict)
    choices: tuple[Choice, ...] = ()
    required: Expression | None = None
    required_messages: Mapping[str, Text] = field(default_factory=dict)
    relevant: Expression | None = None
    constraint: Expression | None = None
    constraint_messages: Mapping[str, Text] = field(default_factory=dict)
    calculate: Expression | None = None
    readonly: Expression | None = None
    default: str = ""
    preload: tuple[str, str] | None = None
    appearance: str = ""
    groups: tuple[str, ...] = ()  # paths of the enclosing groups, outermost first

    @property
    def shown(self) -> bool:
        return self.kind != "calculate" and self.preload is None


@dataclass
class Group:
    name: str
    path: str
    labels: Mapping[str, Text] = field(default_factory=dict)
    relevant: Expression | None = None
    items: list[Question | Group] = field(default_factory=list)
    groups: tuple[str, ...] = ()


@dataclass
class Page:
    """One page of the entry: a top-level group, or the questions between groups."""

    group: Group | None
    items: list[Question | Group]

    def questions(self) -> Iterable[Question]:
        for item in self.items:
            if isinstance(item, Group):
                yield from _walk(item.items)
            else:
                yield item


def _walk(items: Iterable[Question | Group]) -> Iterable[Question]:
    for item in items:
        if isinstance(item, Group):
            yield from _walk(item.items)
        else:
            yield item


@dataclass
class WebForm:
    form_id: str
    version: str
    title: str
    root: str  # the primary instance's root element name
    root_attributes: dict[str, str]
    nodes: list[str]  # every path of the primary instance, in document order
    questions: dict[str, Question]  # by path, in document order
    groups: dict[str, Group]
    pages: list[Page]
    languages: dict[str, str]  # our code (es/en/pt/...) -> the form's language name
    encrypted: bool = False
    setvalues: list[tuple[str, Expression]] = field(default_factory=list)  # odk-instance-first-load

    def text(self, labels: Mapping[str, Text], language: str) -> Text:
        """The labels in the page's language, else in Spanish, English, Portuguese, else whatever the form has."""
        for code in (language, "es", "en", "pt", ""):
            if labels.get(code):
                return labels[code]
        return next((value for value in labels.values() if value), ())


# --- Reading the XForm ---------------------------------------------------------------------------------------------


def _language_code(name: str) -> str:
    found = LANG_CODE.search(name)
    if found:
        return found.group(1).lower()
    lowered = name.strip().lower()
    for code, names in LANG_NAMES.items():
        if lowered in names or lowered == code:
            return code
    return "" if lowered in ("default", "") else lowered


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parse_text(element: ET.Element, problems: list[tuple[str, str | Promise]], name: str) -> Text:
    """Text with <output value="..."/> parts."""
    parts: list[str | Expression] = []
    if element.text:
        parts.append(element.text)
    for child in element:
        if _local(child.tag) == "output":
            source = child.get("value", "")
            try:
                parts.append(Expression(source))
            except ElementPathError:
                problems.append(
                    (
                        name,
                        format_lazy(
                            _("the label uses an expression the web entry cannot evaluate: {source}"), source=source
                        ),
                    )
                )
        if child.tail:
            parts.append(child.tail)
    cleaned = tuple(parts)
    if len(cleaned) == 1 and isinstance(cleaned[0], str) and cleaned[0].strip() == "-":
        return ()  # pyxform fills a missing translation with "-"
    return cleaned


class _Reader:
    def __init__(self, xml: str | bytes) -> None:
        data = xml.encode() if isinstance(xml, str) else xml
        if len(data) > MAX_XFORM_BYTES:
            raise Unsupported([("", _("the form is too large for the web entry"))])
        try:
            self.doc = SafeET.fromstring(data)
        except (ET.ParseError, DefusedXmlException) as exc:
            raise Unsupported([("", _("the form's XForm cannot be read"))]) from exc
        self.problems: list[tuple[str, str | Promise]] = []
        head = self.doc.find("h:head", NS)
        self.model = head.find("xf:model", NS) if head is not None else None
        if self.model is None:
            raise Unsupported([("", _("this is not an XForm (no model)"))])
        title = head.find("h:title", NS) if head is not None else None
        self.title = (title.text or "").strip() if title is not None else ""
        self.itext: dict[str, dict[str, Text]] = {}
        self.languages: dict[str, str] = {}
        self.binds: dict[str, ET.Element] = {}
        self.secondary: dict[str, ET.Element] = {}
        self.primary: ET.Element | None = None

    def read_model(self) -> None:
        assert self.model is not None
        for translation in self.model.iterfind("xf:itext/xf:translation", NS):
            language = translation.get("lang", "")
            code = _language_code(language)
            self.languages.setdefault(code, language)
            for text in translation.iterfind("xf:text", NS):
                value = next((v for v in text.iterfind("xf:value", NS) if v.get("form") is None), None)
                if value is not None:
                    parsed = _parse_text(value, self.problems, text.get("id", ""))
                    self.itext.setdefault(text.get("id", ""), {})[code] = parsed
        for instance in self.model.iterfind("xf:instance", NS):
            instance_id = instance.get("id")
            if instance_id is None:
                self.primary = next(iter(instance), None)
            elif instance.get("src"):
                self.secondary[instance_id] = instance  # external: refused where a question uses it
            else:
                self.secondary[instance_id] = instance
        for bind in self.model.iterfind("xf:bind", NS):
            self.binds[bind.get("nodeset", "").strip()] = bind
        if self.primary is None:
            raise Unsupported([("", _("this is not an XForm (no primary instance)"))])

    def text_of(self, element: ET.Element | None, name: str) -> dict[str, Text]:
        if element is None:
            return {}
        ref = element.get("ref", "")
        found = re.fullmatch(r"\s*jr:itext\(\s*'([^']*)'\s*\)\s*", ref)
        if found:
            return dict(self.itext.get(found.group(1), {}))
        if ref:
            return {}
        return {"": _parse_text(element, self.problems, name)}

    def message(self, bind: ET.Element, attribute: str, name: str) -> dict[str, Text]:
        value = bind.get(f"{{{JR}}}{attribute}")
        if not value:
            return {}
        found = re.fullmatch(r"\s*jr:itext\(\s*'([^']*)'\s*\)\s*", value)
        if found:
            return dict(self.itext.get(found.group(1), {}))
        return {"": (value,)}

    def expression(self, source: str | None, name: str, what: str) -> Expression | None:
        if source is None or not source.strip():
            return None
        for function in UNSUPPORTED_FUNCTIONS:
            if function in source:
                self.problems.append(
                    (
                        name,
                        format_lazy(
                            _("the {column} column uses {function}, which the web entry does not support"),
                            column=what,
                            function=function.rstrip("(") + "()",
                        ),
                    )
                )
                return None
        try:
            return Expression(source)
        except ElementPathError:
            self.problems.append(
                (
                    name,
                    format_lazy(
                        _("the {column} column cannot be evaluated by the web entry: {source}"),
                        column=what,
                        source=source,
                    ),
                )
            )
            return None


def _constant(source: str | None) -> bool | None:
    if source is None:
        return None
    compact = source.replace(" ", "")
    if compact in ("true()", "true"):
        return True
    if compact in ("false()", "false", ""):
        return False
    return None


def build(xform_xml: str | bytes) -> WebForm:
    """The web entry's view of a pyxform XForm; raises Unsupported naming each question it cannot render."""
    reader = _Reader(xform_xml)
    reader.read_model()
    problems = reader.problems
    primary = reader.primary
    assert primary is not None and reader.model is not None
    root = _local(primary.tag)
    root_attributes = dict(primary.attrib.items())
    form_id = primary.get("id", "")
    version = primary.get("version", "")
    submission = reader.model.find("xf:submission", NS)
    encrypted = submission is not None and bool(submission.get("base64RsaPublicKey"))

    nodes: list[str] = []
    defaults: dict[str, str] = {}
    has_children: set[str] = set()

    def walk_instance(element: ET.Element, path: str) -> None:
        for child in element:
            child_path = f"{path}/{_local(child.tag)}"
            nodes.append(child_path)
            if len(child):
                has_children.add(child_path)
                if child.get(f"{{{JR}}}template") is not None:
                    problems.append((_local(child.tag), _("repeats are not supported by the web entry")))
                walk_instance(child, child_path)
            else:
                defaults[child_path] = (child.text or "").strip()

    walk_instance(primary, f"/{root}")

    questions: dict[str, Question] = {}
    groups: dict[str, Group] = {}

    def name_of(path: str) -> str:
        return path.rsplit("/", 1)[-1]

    def bind_question(question: Question) -> None:
        bind = reader.binds.get(question.path)
        if bind is None:
            return
        name = question.name
        question.relevant = reader.expression(bind.get("relevant"), name, "relevant")
        required = bind.get("required")
        if _constant(required) is not False:
            question.required = reader.expression(required, name, "required")
        question.required_messages = reader.message(bind, "requiredMsg", name)
        question.constraint = reader.expression(bind.get("constraint"), name, "constraint")
        question.constraint_messages = reader.message(bind, "constraintMsg", name)
        question.calculate = reader.expression(bind.get("calculate"), name, "calculation")
        readonly = bind.get("readonly")
        if _constant(readonly) is not False:
            question.readonly = reader.expression(readonly, name, "read_only")
        preload = bind.get(f"{{{JR}}}preload")
        if preload:
            question.preload = (preload, bind.get(f"{{{JR}}}preloadParams", ""))

    def control(element: ET.Element, enclosing: tuple[str, ...]) -> Question | Group | None:
        tag = _local(element.tag)
        ref = (element.get("ref") or element.get("nodeset") or "").strip()
        name = name_of(ref) if ref else tag
        if tag == "group":
            if not ref:  # a group without a node (appearance only): its children stand in its place
                problems.append((name, _("a group without a name is not supported by the web entry")))
                return None
            group = Group(
                name=name, path=ref, labels=reader.text_of(element.find("xf:label", NS), name), groups=enclosing
            )
            bind = reader.binds.get(ref)
            if bind is not None:
                group.relevant = reader.expression(bind.get("relevant"), name, "relevant")
            for child in element:
                item = control(child, (*enclosing, ref))
                if item is not None:
                    group.items.append(item)
            groups[ref] = group
            return group
        if tag in ("label", "hint"):
            return None
        if tag == "repeat":
            problems.append((name, _("repeats are not supported by the web entry")))
            return None
        if tag in ("upload",):
            problems.append((name, _("image, audio, video and file questions are not supported by the web entry")))
            return None
        if tag == "range":
            problems.append((name, _("range questions are not supported by the web entry")))
            return None
        if tag == "rank":
            problems.append((name, _("rank questions are not supported by the web entry")))
            return None
        if tag == "trigger":
            problems.append((name, _("acknowledge questions are not supported by the web entry")))
            return None
        if tag not in ("input", "select1", "select"):
            problems.append((name, format_lazy(_("the control {tag} is not supported by the web entry"), tag=tag)))
            return None
        bind = reader.binds.get(ref)
        xml_type = (bind.get("type", "string") if bind is not None else "string").split(":")[-1]
        appearance = element.get("appearance", "")
        if "search(" in appearance:
            problems.append((name, _("choices from an external file (search()) are not supported by the web entry")))
            return None
        if tag == "input":
            if xml_type in UNSUPPORTED_TYPES:
                problems.append(
                    (
                        name,
                        format_lazy(
                            _("{type} questions are not supported by the web entry"), type=UNSUPPORTED_TYPES[xml_type]
                        ),
                    )
                )
                return None
            if xml_type not in SUPPORTED_TYPES:
                problems.append(
                    (name, format_lazy(_("the type {type} is not supported by the web entry"), type=xml_type))
                )
                return None
            kind = SUPPORTED_TYPES[xml_type]
        else:
            kind = "select_one" if tag == "select1" else "select_multiple"
        question = Question(
            name=name,
            path=ref,
            kind=kind,
            labels=reader.text_of(element.find("xf:label", NS), name),
            hints=reader.text_of(element.find("xf:hint", NS), name),
            default=defaults.get(ref, ""),
            appearance=appearance,
            groups=enclosing,
        )
        if tag != "input":
            question.choices = tuple(choices(element, name))
        bind_question(question)
        if (
            (
                kind == "text"
                and question.readonly is not None
                and _constant(bind.get("readonly") if bind is not None else None)
            )
            and question.calculate is None
            and not question.default
        ):
            question.kind = "note"
        questions[ref] = question
        return question

    def choices(element: ET.Element, name: str) -> list[Choice]:
        found: list[Choice] = []
        for item in element.iterfind("xf:item", NS):
            value = (item.findtext("xf:value", default="", namespaces=NS) or "").strip()
            found.append(Choice(value=value, labels=reader.text_of(item.find("xf:label", NS), name)))
        itemset = element.find("xf:itemset", NS)
        if itemset is not None:
            nodeset = itemset.get("nodeset", "")
            match = re.fullmatch(r"\s*instance\(\s*'([^']+)'\s*\)/root/item\s*", nodeset)
            if not match:
                if "[" in nodeset:
                    problems.append((name, _("choice_filter is not supported by the web entry")))
                else:
                    problems.append(
                        (
                            name,
                            format_lazy(_("the choices {nodeset} are not supported by the web entry"), nodeset=nodeset),
                        )
                    )
                return found
            instance = reader.secondary.get(match.group(1))
            if instance is None or instance.get("src"):
                problems.append(
                    (
                        name,
                        _(
                            "choices from an external file (select_one_from_file, external choices) are not"
                            " supported by the web entry"
                        ),
                    )
                )
                return found
            value_element = itemset.find("xf:value", NS)
            value_ref = value_element.get("ref", "name") if value_element is not None else "name"
            label = itemset.find("xf:label", NS)
            label_ref = label.get("ref", "label") if label is not None else "label"
            for item in instance.iterfind("xf:root/xf:item", NS):
                value = (item.findtext(f"xf:{value_ref}", default="", namespaces=NS) or "").strip()
                if label_ref.startswith("jr:itext("):
                    itext_id = item.findtext("xf:itextId", default="", namespaces=NS) or ""
                    labels = dict(reader.itext.get(itext_id.strip(), {}))
                else:
                    label_element = item.find(f"xf:{label_ref}", NS)
                    labels = {"": _parse_text(label_element, problems, name)} if label_element is not None else {}
                found.append(Choice(value=value, labels=labels))
        return found

    body = reader.doc.find("h:body", NS)
    top: list[Question | Group] = []
    if body is not None:
        for element in body:
            item = control(element, ())
            if item is not None:
                top.append(item)

    # Nodes with a bind but no control: calculates, preloads (start, end, today, ...), metadata.
    for path in nodes:
        if path in questions or path in has_children:
            continue
        bind = reader.binds.get(path)
        if bind is None:
            continue
        name = name_of(path)
        xml_type = bind.get("type", "string").split(":")[-1]
        if "/meta/" in path or path.endswith("/meta"):
            if xml_type == "binary":
                continue  # Collect's audit log: the web entry keeps none
        elif xml_type in UNSUPPORTED_TYPES and bind.get("calculate") is None and bind.get(f"{{{JR}}}preload") is None:
            problems.append(
                (
                    name,
                    format_lazy(
                        _("{type} questions are not supported by the web entry"), type=UNSUPPORTED_TYPES[xml_type]
                    ),
                )
            )
            continue
        question = Question(name=name, path=path, kind="calculate", default=defaults.get(path, ""))
        bind_question(question)
        question.relevant = question.relevant  # hidden nodes keep their relevance
        questions[path] = question

    setvalues: list[tuple[str, Expression]] = []
    for element in reader.model.iter():
        tag = _local(element.tag)
        if tag in ("setvalue", "setgeopoint"):
            ref = element.get("ref", "")
            event = element.get("event", "")
            if tag == "setvalue" and event == "odk-instance-first-load":
                expression = reader.expression(element.get("value"), name_of(ref), "default")
                if expression is not None:
                    setvalues.append((ref, expression))
                continue
            problems.append(
                (
                    name_of(ref),
                    _("dynamic defaults on a change (trigger) and geopoints are not supported by the web entry"),
                )
            )
    if body is not None:
        for element in body.iter():
            if _local(element.tag) in ("setvalue", "setgeopoint"):
                problems.append(
                    (
                        name_of(element.get("ref", "")),
                        _("triggers (setvalue on a change) are not supported by the web entry"),
                    )
                )

    if problems:
        raise Unsupported(problems)

    ordered = {path: questions[path] for path in nodes if path in questions}
    return WebForm(
        form_id=form_id,
        version=version,
        title=reader.title,
        root=root,
        root_attributes=root_attributes,
        nodes=nodes,
        questions=ordered,
        groups=groups,
        pages=_pages(top),
        languages=reader.languages,
        encrypted=encrypted,
        setvalues=setvalues,
    )


@lru_cache(maxsize=32)
def build_cached(key: str, xform_xml: str) -> WebForm:
    """`build`, kept for the versions in use: a version is immutable, so its key (pk and md5) names one XForm.
    Reading a form of 160 questions takes about a third of a second (its expressions are parsed); the pages of an
    interview reuse it. The WebForm is never changed after it is built."""
    return build(xform_xml)


def _pages(top: list[Question | Group]) -> list[Page]:
    pages: list[Page] = []
    loose: list[Question | Group] = []
    for item in top:
        if isinstance(item, Group):
            if loose:
                pages.append(Page(group=None, items=loose))
                loose = []
            pages.append(Page(group=item, items=item.items))
        else:
            loose.append(item)
    if loose:
        pages.append(Page(group=None, items=loose))
    return pages


# --- Evaluating ----------------------------------------------------------------------------------------------------


@dataclass
class State:
    """The answers after evaluation: `answers` holds only relevant, non-empty values (calculates included)."""

    answers: dict[str, str]
    relevant: set[str]  # paths of relevant questions and groups
    tree: Any
    elements: dict[str, ET.Element]

    def value(self, path: str) -> str:
        return self.answers.get(path, "")


def _instance(form: WebForm, answers: Mapping[str, str]) -> tuple[ET.Element, dict[str, ET.Element]]:
    root = ET.Element(form.root, form.root_attributes)
    elements: dict[str, ET.Element] = {f"/{form.root}": root}
    for path in form.nodes:
        parent = elements[path.rsplit("/", 1)[0]]
        element = ET.SubElement(parent, path.rsplit("/", 1)[1])
        element.text = answers.get(path) or None
        elements[path] = element
    return root, elements


def _safe(expression: Expression, tree: Any, item: Any = None) -> Any:
    try:
        return expression.evaluate(tree, item)
    except (ElementPathError, ArithmeticError, TypeError, ValueError):
        return None


def _is_relevant(
    form: WebForm, path: str, relevant: Expression | None, enclosing: tuple[str, ...], flags: dict[str, bool], tree: Any
) -> bool:
    if any(not flags.get(group, True) for group in enclosing):
        return False
    if relevant is None:
        return True
    result = _safe(relevant, tree)
    return True if result is None else _boolean(result)


def start(form: WebForm, now: datetime) -> dict[str, str]:
    """The answers a new interview starts with: defaults, preloads (start, today) and first-load setvalues."""
    _NOW.set(now)
    answers = {path: q.default for path, q in form.questions.items() if q.default}
    for path, question in form.questions.items():
        if question.preload is None:
            continue
        kind, params = question.preload
        if kind == "timestamp" and params == "start":
            answers[path] = now.isoformat(timespec="milliseconds")
        elif kind == "date" and params == "today":
            answers[path] = now.date().isoformat()
        elif kind == "property" and params == "deviceid":
            answers[path] = "amparo-web"
    if form.setvalues:
        root, _elements = _instance(form, answers)
        tree = elementpath.get_node_tree(ET.ElementTree(root))
        for ref, expression in form.setvalues:
            answers[ref] = _string(_safe(expression, tree))
    return {path: value for path, value in answers.items() if value}


def evaluate(form: WebForm, answers: Mapping[str, str], now: datetime | None = None) -> State:
    """Run calculates and relevance over the answers, to a fixed point; drop the answers that are not relevant."""
    if now is not None:
        _NOW.set(now)
    current = {path: value for path, value in answers.items() if path in form.questions and value}
    root, elements = _instance(form, current)
    tree = elementpath.get_node_tree(ET.ElementTree(root))
    flags: dict[str, bool] = {}
    for _round in range(5):
        changed = False
        flags = {}
        for path in form.nodes:
            group = form.groups.get(path)
            if group is not None:
                flags[path] = _is_relevant(form, path, group.relevant, group.groups, flags, tree)
                continue
            question = form.questions.get(path)
            if question is None:
                continue
            enclosing = question.groups or tuple(g for g in form.groups if path.startswith(g + "/"))
            relevant = _is_relevant(form, path, question.relevant, enclosing, flags, tree)
            flags[path] = relevant
            value = current.get(path, "")
            if not relevant:
                new = ""
            elif question.calculate is not None:
                new = _string(_safe(question.calculate, tree, elements[path]))
            else:
                new = value
            if new != value:
                changed = True
                if new:
                    current[path] = new
                else:
                    current.pop(path, None)
                elements[path].text = new or None
        if not changed:
            break
    relevant_paths = {path for path, flag in flags.items() if flag}
    return State(answers=current, relevant=relevant_paths, tree=tree, elements=elements)


def render_text(form: WebForm, parts: Text, state: State) -> str:
    out: list[str] = []
    for part in parts:
        if isinstance(part, Expression):
            out.append(_string(_safe(part, state.tree)))
        else:
            out.append(part)
    return "".join(out).strip()


def page_visible(form: WebForm, page: Page, state: State) -> bool:
    """A page is shown when its group is relevant and at least one question on it is shown and relevant."""
    if page.group is not None and page.group.path not in state.relevant:
        return False
    return any(q.shown and q.path in state.relevant for q in page.questions())


def is_readonly(question: Question, state: State) -> bool:
    if question.kind in ("note", "calculate"):
        return True
    if question.readonly is None:
        return False
    result = _safe(question.readonly, state.tree, state.elements.get(question.path))
    return result is not None and _boolean(result)


@dataclass
class Problem:
    """A message for one question: `kind` is required, constraint, or why the posted value is not valid
    (invalid_integer, invalid_decimal, invalid_date, invalid_choice, too_long); `messages` are the form's own
    (jr:requiredMsg, jr:constraintMsg) by language, empty when the form has none."""

    path: str
    kind: str
    messages: Mapping[str, Text] = field(default_factory=dict)


def normalise(question: Question, raw: list[str]) -> tuple[str, str | None]:
    """A posted answer as the instance stores it, or why it is not valid (a Problem kind)."""
    values = [value for value in raw if value is not None]
    if question.kind == "select_multiple":
        allowed = [choice.value for choice in question.choices]
        chosen = set(values)
        unknown = chosen - set(allowed)
        if unknown:
            return "", "invalid_choice"
        return " ".join(value for value in allowed if value in chosen), None
    text = (values[0] if values else "").replace("\r\n", "\n")
    if question.kind != "text":
        text = text.strip()
    if not text:
        return "", None
    if question.kind == "text":
        if len(text) > MAX_TEXT:
            return "", "too_long"
        return text, None
    if question.kind == "integer":
        if not re.fullmatch(r"[-+]?\d{1,9}", text):
            return "", "invalid_integer"
        return str(int(text)), None
    if question.kind == "decimal":
        candidate = text.replace(",", ".") if text.count(",") == 1 and "." not in text else text
        try:
            number = Decimal(candidate)
        except InvalidOperation:
            return "", "invalid_decimal"
        if not number.is_finite() or len(candidate) > 30:
            return "", "invalid_decimal"
        return _string(number), None
    if question.kind == "date":
        try:
            return date.fromisoformat(text).isoformat(), None
        except ValueError:
            found = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
            if found:
                try:
                    day, month, year = map(int, found.groups())
                    return date(year, month, day).isoformat(), None
                except ValueError:
                    pass
            return "", "invalid_date"
    if question.kind == "select_one":
        if text not in {choice.value for choice in question.choices}:
            return "", "invalid_choice"
        return text, None
    return "", None  # notes and calculates take no input


def parse_page(
    form: WebForm, page: Page, answers: Mapping[str, str], posted: Mapping[str, list[str]], now: datetime | None = None
) -> tuple[dict[str, str], State, list[Problem]]:
    """Merge what a page posted into the answers, re-evaluate, and check required and constraints on the page.

    `posted` maps a question's path to the values sent (a question left out sent nothing). Returns the new answers,
    the evaluated state and the problems, one per question at most."""
    before = evaluate(form, answers, now)
    merged = dict(answers)
    invalid: dict[str, Problem] = {}
    for question in page.questions():
        if not question.shown or question.kind == "note" or is_readonly(question, before):
            continue
        value, error = normalise(question, posted.get(question.path, []))
        if error is not None:
            invalid[question.path] = Problem(question.path, error)
            merged.pop(question.path, None)
        elif value:
            merged[question.path] = value
        else:
            merged.pop(question.path, None)
    # Relevance may hang on answers of this same page: evaluate once with everything posted, which drops what is
    # not relevant, then keep the messages of the questions still shown.
    state = evaluate(form, merged, now)
    shown = [question for question in page.questions() if question.path not in invalid]
    problems = [problem for path, problem in invalid.items() if path in state.relevant]
    problems += check(form, shown, state)
    order = {path: index for index, path in enumerate(form.questions)}
    problems.sort(key=lambda problem: order.get(problem.path, 0))
    return state.answers, state, problems


def check(form: WebForm, questions: Iterable[Question], state: State) -> list[Problem]:
    """Required and constraint of the shown, relevant, editable questions."""
    problems: list[Problem] = []
    for question in questions:
        if not question.shown or question.path not in state.relevant or question.kind == "note":
            continue
        value = state.value(question.path)
        element = state.elements.get(question.path)
        if not value:
            if question.required is not None and not is_readonly(question, state):
                result = _safe(question.required, state.tree, element)
                if result is not None and _boolean(result):
                    problems.append(Problem(question.path, "required", question.required_messages))
            continue
        if question.constraint is not None:
            result = _safe(question.constraint, state.tree, element)
            if result is not None and not _boolean(result):
                problems.append(Problem(question.path, "constraint", question.constraint_messages))
    return problems


def check_all(form: WebForm, state: State) -> list[Problem]:
    return check(form, form.questions.values(), state)


def finish(form: WebForm, answers: Mapping[str, str], now: datetime) -> dict[str, str]:
    """The answers at submit: `end` timestamps are set, then the last evaluation."""
    final = dict(answers)
    for path, question in form.questions.items():
        if question.preload == ("timestamp", "end"):
            final[path] = now.isoformat(timespec="milliseconds")
    return evaluate(form, final, now).answers


def instance_xml(form: WebForm, answers: Mapping[str, str], relevant: set[str], instance_id: str) -> bytes:
    """The instance as ODK Collect writes it: the root with the form id and version, the nodes in the form's order
    (those that are not relevant left out), meta/instanceID `uuid:...`."""
    namespaces = {"jr": JR, "orx": "http://openrosa.org/xforms", "odk": ODK}
    for prefix, uri in namespaces.items():
        ET.register_namespace(prefix, uri)
    attributes = {}
    for key, value in form.root_attributes.items():
        attributes[key] = value
    root = ET.Element(form.root, attributes)
    elements: dict[str, ET.Element] = {f"/{form.root}": root}
    instance_path = f"/{form.root}/meta/instanceID"
    for path in form.nodes:
        parent_path = path.rsplit("/", 1)[0]
        parent = elements.get(parent_path)
        if parent is None:
            continue  # inside a group that is not relevant
        is_group = path in form.groups
        if (is_group or path in form.questions) and path not in relevant and path != instance_path:
            question = form.questions.get(path)
            if is_group or (question is not None and question.preload is None):
                continue
        element = ET.SubElement(parent, path.rsplit("/", 1)[1])
        if path == instance_path:
            element.text = instance_id
        elif path in answers:
            element.text = answers[path]
        elements[path] = element
    if instance_path not in elements:
        meta = elements.get(f"/{form.root}/meta")
        if meta is None:
            meta = ET.SubElement(root, "meta")
        ET.SubElement(meta, "instanceID").text = instance_id
    body = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    return ("<?xml version='1.0' ?>" + body).encode()
