"""The web entry's engine (`webform.py`) against forms compiled by pyxform: every supported type, relevant, required,
constraint, calculate, labels per language, the instance it writes; and each unsupported feature refused by name."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

import openpyxl
import pytest
from django.utils import translation
from pyxform.xls2xform import convert

from amparo.surveys import webform
from amparo.surveys.webform import Unsupported

NOW = datetime(2026, 12, 4, 10, 30, tzinfo=UTC)
LABELS = ["label::Español (es)", "label::English (en)", "label::Português (pt)"]


def xlsx(
    survey: Sequence[Sequence[object]],
    choices: Sequence[Sequence[object]] | None = None,
    settings: dict[str, str] | None = None,
) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "survey"
    for row in survey:
        sheet.append(row)
    if choices:
        choice_sheet = book.create_sheet("choices")
        for row in choices:
            choice_sheet.append(row)
    settings = {"form_title": "Encuesta de barrio", "form_id": "barrio", "version": "2026120401", **(settings or {})}
    settings_sheet = book.create_sheet("settings")
    settings_sheet.append(list(settings))
    settings_sheet.append(list(settings.values()))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def compile_form(
    survey: Sequence[Sequence[object]], choices: Sequence[Sequence[object]] | None = None, **settings: str
) -> str:
    return convert(xlsform=xlsx(survey, choices, settings), file_type=".xlsx").xform


FULL_SURVEY = [
    [
        "type",
        "name",
        *LABELS,
        "hint::Español (es)",
        "hint::English (en)",
        "hint::Português (pt)",
        "required",
        "relevant",
        "constraint",
        "constraint_message::Español (es)",
        "constraint_message::English (en)",
        "constraint_message::Português (pt)",
        "calculation",
        "read_only",
        "default",
    ],
    ["note", "intro", "Hola", "Hello", "Olá", "", "", "", "", "", "", "", "", "", "", "", ""],
    [
        "integer",
        "age",
        "Edad",
        "Age",
        "Idade",
        "en años",
        "in years",
        "em anos",
        "yes",
        "",
        ". >= 18 and . < 100",
        "Entre 18 y 99",
        "Between 18 and 99",
        "Entre 18 e 99",
        "",
        "",
        "",
    ],
    ["begin_group", "work", "Trabajo", "Work", "Trabalho", "", "", "", "", "${age} >= 21", "", "", "", "", "", "", ""],
    [
        "select_one yesno",
        "alone",
        "¿Estás sola?",
        "Are you alone?",
        "Você está sozinha?",
        "",
        "",
        "",
        "yes",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
    [
        "select_multiple places",
        "places",
        "Lugares",
        "Places",
        "Lugares",
        "",
        "",
        "",
        "",
        "selected(${alone}, 'yes')",
        "count-selected(.) <= 2",
        "Dos como máximo",
        "Two at most",
        "Dois no máximo",
        "",
        "",
        "",
    ],
    ["text", "code", "Código", "Code", "Código", "", "", "", "", "", "regex(., '^[a-z]{3}$')", "", "", "", "", "", ""],
    ["end_group", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""],
    ["decimal", "income", "Ingreso", "Income", "Renda", "", "", "", "", "", ". > 0", "", "", "", "", "", ""],
    ["date", "when", "Fecha", "Date", "Data", "", "", "", "", "", ". <= today()", "", "", "", "", "", ""],
    ["calculate", "band", "", "", "", "", "", "", "", "", "", "", "", "", "if(${age} < 30, 'young', 'older')", "", ""],
    ["calculate", "next_year", "", "", "", "", "", "", "", "", "", "", "", "", "int(${age}) + 1", "", ""],
    ["text", "fixed", "Fijo", "Fixed", "Fixo", "", "", "", "", "", "", "", "", "", "", "yes", "web"],
    [
        "note",
        "bye",
        "Tienes ${age} años",
        "You are ${age}",
        "Você tem ${age} anos",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
]
FULL_CHOICES = [
    ["list_name", "name", *LABELS],
    ["yesno", "yes", "Sí", "Yes", "Sim"],
    ["yesno", "no", "No", "No", "Não"],
    ["places", "street", "Calle", "Street", "Rua"],
    ["places", "bar", "Bar", "Bar", "Bar"],
    ["places", "home", "Casa", "Home", "Casa"],
]


@pytest.fixture(scope="module")
def form() -> webform.WebForm:
    return webform.build(compile_form(FULL_SURVEY, FULL_CHOICES))


def answers_for(form: webform.WebForm, **by_name: str) -> dict[str, str]:
    paths = {question.name: path for path, question in form.questions.items()}
    return {paths[name]: value for name, value in by_name.items()}


def names(form: webform.WebForm, answers: dict[str, str]) -> dict[str, str]:
    return {form.questions[path].name: value for path, value in answers.items()}


def test_the_form_is_read_with_its_types_groups_pages_and_languages(form: webform.WebForm) -> None:
    kinds = {question.name: question.kind for question in form.questions.values()}
    assert kinds == {
        "intro": "note",
        "age": "integer",
        "alone": "select_one",
        "places": "select_multiple",
        "code": "text",
        "income": "decimal",
        "when": "date",
        "band": "calculate",
        "next_year": "calculate",
        "fixed": "text",
        "bye": "note",
        "instanceID": "calculate",
    }
    assert (form.form_id, form.version, form.title) == ("barrio", "2026120401", "Encuesta de barrio")
    assert set(form.languages) == {"es", "en", "pt"}
    pages = [[question.name for question in page.questions()] for page in form.pages]
    assert pages == [["intro", "age"], ["alone", "places", "code"], ["income", "when", "fixed", "bye"]]
    assert form.pages[1].group is not None and form.pages[1].group.name == "work"
    age = form.questions["/data/age"]
    assert form.text(age.labels, "pt") == ("Idade",)
    assert form.text(age.hints, "en") == ("in years",)
    assert form.text(age.labels, "fr") == ("Edad",)  # a language the form lacks: Spanish first
    places = form.questions["/data/work/places"]
    assert [choice.value for choice in places.choices] == ["street", "bar", "home"]
    assert form.text(places.choices[0].labels, "en") == ("Street",)


def test_relevance_drops_the_answers_of_questions_and_groups_that_are_not_relevant(form: webform.WebForm) -> None:
    answers = {**webform.start(form, NOW), **answers_for(form, age="25", alone="yes", places="bar", code="abc")}
    state = webform.evaluate(form, answers, NOW)
    assert names(form, state.answers) == {
        "age": "25",
        "alone": "yes",
        "places": "bar",
        "code": "abc",
        "band": "young",
        "next_year": "26",
        "fixed": "web",
    }
    # alone = no: places is not relevant any more, its answer goes
    state = webform.evaluate(form, {**answers, "/data/work/alone": "no"}, NOW)
    assert "/data/work/places" not in state.answers and "/data/work/places" not in state.relevant
    # under 21: the whole group is not relevant, and every answer inside it goes
    state = webform.evaluate(form, {**answers, "/data/age": "19"}, NOW)
    assert names(form, state.answers) == {"age": "19", "band": "young", "next_year": "20", "fixed": "web"}
    assert "/data/work" not in state.relevant
    assert not webform.page_visible(form, form.pages[1], state)
    # an empty age compares false (XPath 1: NaN), it does not raise
    state = webform.evaluate(form, {}, NOW)
    assert "/data/work" not in state.relevant and "/data/next_year" not in state.answers


def test_calculate_follows_the_answers(form: webform.WebForm) -> None:
    state = webform.evaluate(form, answers_for(form, age="45"), NOW)
    assert names(form, state.answers)["band"] == "older"
    assert names(form, state.answers)["next_year"] == "46"
    bye = form.questions["/data/bye"]
    assert webform.render_text(form, form.text(bye.labels, "es"), state) == "Tienes 45 años"


def page_post(
    form: webform.WebForm, page: int, answers: dict[str, str], **posted: list[str]
) -> tuple[dict[str, str], list[webform.Problem]]:
    paths = {question.name: path for path, question in form.questions.items()}
    new, _state, problems = webform.parse_page(
        form, form.pages[page], answers, {paths[k]: v for k, v in posted.items()}, NOW
    )
    return new, problems


def test_required_and_constraint_messages_on_the_page(form: webform.WebForm) -> None:
    answers, problems = page_post(form, 0, {})
    assert [(p.path, p.kind) for p in problems] == [("/data/age", "required")]
    answers, problems = page_post(form, 0, {}, age=["12"])
    assert [(p.path, p.kind) for p in problems] == [("/data/age", "constraint")]
    assert form.text(problems[0].messages, "en") == ("Between 18 and 99",)
    answers, problems = page_post(form, 0, {}, age=["doce"])
    assert [(p.path, p.kind) for p in problems] == [("/data/age", "invalid_integer")]
    answers, problems = page_post(form, 0, webform.start(form, NOW), age=["30"])
    assert problems == [] and answers["/data/age"] == "30"
    # relevance that hangs on an answer of the same page: places shows because alone = yes was sent with it
    answers2, problems = page_post(form, 1, answers, alone=["yes"], places=["street", "bar", "home"], code=["ABC"])
    assert [(p.path, p.kind) for p in problems] == [
        ("/data/work/places", "constraint"),
        ("/data/work/code", "constraint"),
    ]
    answers2, problems = page_post(form, 1, answers, alone=["no"], places=["street"], code=["abc"])
    assert problems == [] and "/data/work/places" not in answers2
    answers2, problems = page_post(form, 1, answers, alone=["maybe"])
    assert [(p.path, p.kind) for p in problems] == [("/data/work/alone", "invalid_choice")]
    answers3, problems = page_post(form, 2, answers2, income=["1,5"], when=["2026-12-05"], fixed=["changed"])
    assert [(p.path, p.kind) for p in problems] == [("/data/when", "constraint")]  # tomorrow is after today()
    answers3, problems = page_post(form, 2, answers2, income=["1,5"], when=["03/12/2026"], fixed=["changed"])
    assert problems == []
    assert names(form, answers3)["income"] == "1.5" and names(form, answers3)["when"] == "2026-12-03"
    assert names(form, answers3)["fixed"] == "web"  # read_only: what was posted is ignored
    _answers, problems = page_post(form, 2, answers2, income=["abc"], when=["2026-02-30"])
    assert [(p.kind) for p in problems] == ["invalid_decimal", "invalid_date"]


def test_the_instance_is_written_as_collect_writes_it(form: webform.WebForm) -> None:
    answers = answers_for(form, age="25", alone="no", code="abc", income="10.5", when="2026-12-01")
    final = webform.finish(form, answers, NOW)
    state = webform.evaluate(form, final, NOW)
    xml = webform.instance_xml(form, final, state.relevant, "uuid:0b4e7c1e-8a7d-4a57-9a53-1f1d6f3c6d21")
    root = ET.fromstring(xml)  # noqa: S314 (our own output)
    assert root.tag == "data" and root.get("id") == "barrio" and root.get("version") == "2026120401"
    assert root.findtext("meta/instanceID") == "uuid:0b4e7c1e-8a7d-4a57-9a53-1f1d6f3c6d21"
    assert root.findtext("age") == "25" and root.findtext("work/alone") == "no"
    assert root.find("work/places") is None  # not relevant: left out, as Collect does
    assert root.findtext("band") == "young" and root.findtext("income") == "10.5"
    assert [child.tag for child in root] == [
        "intro",
        "age",
        "work",
        "income",
        "when",
        "band",
        "next_year",
        "fixed",
        "bye",
        "meta",
    ]


def test_preloads_and_dynamic_defaults() -> None:
    form = webform.build(
        compile_form(
            [
                ["type", "name", "label", "default"],
                ["start", "started", "", ""],
                ["end", "ended", "", ""],
                ["today", "day", "", ""],
                ["deviceid", "device", "", ""],
                ["date", "seen", "Seen", "today()"],
                ["text", "place", "Place", "Cúcuta"],
            ]
        )
    )
    answers = webform.start(form, NOW)
    by_name = names(form, answers)
    assert by_name["started"].startswith("2026-12-04T10:30:00") and by_name["day"] == "2026-12-04"
    assert by_name["seen"] == "2026-12-04" and by_name["place"] == "Cúcuta" and by_name["device"] == "amparo-web"
    assert "/data/ended" not in answers
    later = datetime(2026, 12, 4, 11, 0, tzinfo=UTC)
    assert names(form, webform.finish(form, answers, later))["ended"].startswith("2026-12-04T11:00:00")
    assert all(not q.shown for q in form.questions.values() if q.name in ("started", "ended", "day", "device"))


def test_a_form_without_groups_is_one_page_and_labels_without_translations() -> None:
    form = webform.build(
        compile_form([["type", "name", "label", "hint"], ["text", "a", "A?", "a hint"], ["integer", "b", "B?", ""]])
    )
    assert len(form.pages) == 1 and [q.name for q in form.pages[0].questions()] == ["a", "b"]
    assert form.text(form.questions["/data/a"].labels, "pt") == ("A?",)
    assert form.text(form.questions["/data/a"].hints, "es") == ("a hint",)


@pytest.mark.parametrize(
    ("expression", "answers", "expected"),
    [
        ("selected(${m}, 'b')", {"m": "a b"}, True),
        ("count-selected(${m}) = 2", {"m": "a b"}, True),
        ("string-length(${t}) = 4", {"t": "hola"}, True),
        ("regex(${t}, '^h')", {"t": "hola"}, True),
        ("coalesce(${t}, 'x') = 'x'", {}, True),
        ("concat(${t}, '-', ${n}) = 'hola-3'", {"t": "hola", "n": "3"}, True),
        ("int(${d}) = 2", {"d": "2.7"}, True),
        ("number(${n}) + 1 = 4", {"n": "3"}, True),
        ("${n} > 2", {}, False),
        ("not(${n} > 2)", {}, True),
        ("${day} < today()", {"day": "2026-12-03"}, True),
        ("${day} > today()", {"day": "2026-12-03"}, False),
        ("if(${n} = 3, 'yes', 'no') = 'yes'", {"n": "3"}, True),
        ("${t} = 'if(x)'", {"t": "if(x)"}, True),
        ("boolean-from-string('true')", {}, True),
    ],
)
def test_xforms_functions(expression: str, answers: dict[str, str], expected: bool) -> None:
    form = webform.build(
        compile_form(
            [
                ["type", "name", "label", "calculation"],
                ["text", "t", "T", ""],
                ["select_multiple abc", "m", "M", ""],
                ["integer", "n", "N", ""],
                ["decimal", "d", "D", ""],
                ["date", "day", "Day", ""],
                ["calculate", "out", "", f"if({expression}, 'T', 'F')"],
            ],
            [["list_name", "name", "label"], ["abc", "a", "A"], ["abc", "b", "B"]],
        )
    )
    state = webform.evaluate(form, {f"/data/{key}": value for key, value in answers.items()}, NOW)
    assert state.answers["/data/out"] == ("T" if expected else "F")


UNSUPPORTED = [
    (
        [["type", "name", "label"], ["begin_repeat", "kids", "Kids"], ["text", "kid", "Kid"], ["end_repeat", "", ""]],
        None,
        "kids",
        "repeat",
    ),
    ([["type", "name", "label"], ["select_one_from_file places.csv", "where", "Where"]], None, "where", "external"),
    ([["type", "name", "label"], ["geopoint", "spot", "Spot"]], None, "spot", "geopoint"),
    ([["type", "name", "label"], ["image", "photo", "Photo"]], None, "photo", "image"),
    ([["type", "name", "label"], ["audio", "voice", "Voice"]], None, "voice", "image, audio"),
    ([["type", "name", "label"], ["barcode", "code", "Code"]], None, "code", "barcode"),
    ([["type", "name", "label"], ["time", "hour", "Hour"]], None, "hour", "time"),
    ([["type", "name", "label"], ["dateTime", "moment", "Moment"]], None, "moment", "dateTime"),
    ([["type", "name", "label"], ["range", "scale", "Scale"]], None, "scale", "range"),
    (
        [["type", "name", "label"], ["rank abc", "order", "Order"]],
        [["list_name", "name", "label"], ["abc", "a", "A"], ["abc", "b", "B"]],
        "order",
        "rank",
    ),
    (
        [
            ["type", "name", "label", "calculation"],
            ["select_one abc", "pick", "Pick", ""],
            ["calculate", "picked", "", "jr:choice-name(${pick}, '${pick}')"],
        ],
        [["list_name", "name", "label"], ["abc", "a", "A"]],
        "picked",
        "jr:choice-name",
    ),
    (
        [["type", "name", "label", "calculation"], ["calculate", "fetched", "", "pulldata('f', 'a', 'b', 'c')"]],
        None,
        "fetched",
        "pulldata",
    ),
    (
        [
            ["type", "name", "label", "choice_filter"],
            ["select_one abc", "first", "First", ""],
            ["select_one abc", "second", "Second", "name != ${first}"],
        ],
        [["list_name", "name", "label"], ["abc", "a", "A"], ["abc", "b", "B"]],
        "second",
        "choice_filter",
    ),
    (
        [["type", "name", "label", "calculation"], ["calculate", "d", "", "format-date(today(), '%Y')"]],
        None,
        "d",
        "cannot be evaluated",
    ),
]


@pytest.mark.parametrize(("survey", "choices", "name", "words"), UNSUPPORTED)
def test_unsupported_features_are_refused_naming_the_question(
    survey: Sequence[Sequence[object]], choices: Sequence[Sequence[object]] | None, name: str, words: str
) -> None:
    with pytest.raises(Unsupported) as refused:
        webform.build(compile_form(survey, choices))
    with translation.override("en"):
        found = [(problem_name, str(message)) for problem_name, message in refused.value.problems]
    assert any(problem_name == name and words in message for problem_name, message in found), refused.value.problems


def test_indexed_repeat_is_refused() -> None:
    survey = [
        ["type", "name", "label", "calculation"],
        ["begin_repeat", "kids", "Kids", ""],
        ["integer", "kid_age", "Age", ""],
        ["end_repeat", "", "", ""],
        ["calculate", "first_age", "", "indexed-repeat(${kid_age}, ${kids}, 1)"],
    ]
    with pytest.raises(Unsupported) as refused:
        webform.build(compile_form(survey))
    with translation.override("en"):
        messages = {name: str(message) for name, message in refused.value.problems}
    assert "repeat" in messages["kids"] and "indexed-repeat" in messages["first_age"]


def test_encrypted_forms_are_recognised() -> None:
    key = (
        "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAxQ1dZ6Zb5yJtT7p6k3tQm0tNd0K9Z2wqv1n8h7y7o7h1M0QyK5u1r1r9Xz9Qy8n"
        "LrS3CkQjW1kqv6b1TzQ6vP7y9KQfJm2k3yY8a9nq7l1XwFQzQ4Y3mQ3b8s8mQ7bJ2bE4rO0eZyC6lS1kq0oM0YxM6o8s0gY3sQ2b1xF0rX"
    )
    form = webform.build(compile_form([["type", "name", "label"], ["text", "a", "A"]], public_key=key))
    assert form.encrypted


def test_not_an_xform_and_hostile_xml_are_refused() -> None:
    with pytest.raises(Unsupported):
        webform.build("<html xmlns='http://www.w3.org/1999/xhtml'/>")
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><x>&b;</x>'
    with translation.override("en"), pytest.raises(Unsupported, match="cannot be read"):
        webform.build(bomb)
    with translation.override("en"), pytest.raises(Unsupported, match="cannot be read"):
        webform.build("<h:html")
