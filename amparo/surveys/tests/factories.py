"""A small XLSForm built in memory (compiled by the real pyxform) and instances that conform to it, as ODK Collect
writes them. Shared by the surveys tests and the role matrix."""

from __future__ import annotations

import io
import uuid
from typing import Any
from xml.sax.saxutils import escape

import openpyxl

from amparo.surveys.models import Form, FormVersion, Submission
from amparo.surveys.services import IncomingFile, publish_xlsform, receive_submission

SURVEY_HEADER = [
    "type",
    "name",
    "label::Español (es)",
    "label::English (en)",
    "label::Português (pt)",
    "required",
    "relevant",
    "constraint",
    "calculation",
    "bind::amparo:facet",
]
# (type, name, es, en, pt, required, relevant, constraint, calculation, facet)
SURVEY_ROWS: list[list[str]] = [
    ["select_one yn", "consent", "¿Acepta?", "Do you agree?", "Você aceita?", "yes", "", "", "", ""],
    ["begin_group", "about", "Sobre usted", "About you", "Sobre você", "", "${consent} = 'yes'", "", "", ""],
    ["select_one yn", "stats", "¿Contar?", "Count?", "Contar?", "", "", "", "", "statistics_consent"],
    ["select_one muni", "municipality", "Municipio", "Municipality", "Município", "", "", "", "", "municipality"],
    ["select_one gender", "gender", "Identidad", "Identity", "Identidade", "", "", "", "", "gender_identity"],
    ["integer", "age", "Edad", "Age", "Idade", "", "", ". >= 18 and . < 100", "", "age"],
    ["select_multiple viol", "violence", "Violencias", "Violence", "Violências", "", "", "", "", ""],
    ["text", "comment", "Comentario", "Comment", "Comentário", "", "", "", "", ""],
    ["image", "photo", "Foto", "Photo", "Foto", "", "", "", "", ""],
    ["end_group", "", "", "", "", "", "", "", "", ""],
    ["calculate", "score", "", "", "", "", "", "", "count-selected(${violence})", ""],
    ["today", "today", "", "", "", "", "", "", "", "interview_date"],
]
CHOICES: list[list[str]] = [
    ["yn", "yes", "Sí", "Yes", "Sim"],
    ["yn", "no", "No", "No", "Não"],
    ["muni", "CO54001", "Cúcuta", "Cúcuta", "Cúcuta"],
    ["muni", "CO11001", "Bogotá", "Bogotá", "Bogotá"],
    ["gender", "trans_woman", "Mujer trans", "Trans woman", "Mulher trans"],
    ["gender", "cis_woman", "Mujer cis", "Cis woman", "Mulher cis"],
    ["gender", "not_said", "Prefiero no decir", "Prefer not to say", "Prefiro não dizer"],
    ["viol", "clients", "Clientes", "Clients", "Clientes"],
    ["viol", "police", "Policía", "Police", "Polícia"],
    ["viol", "armed_groups", "Grupos armados", "Armed groups", "Grupos armados"],
]


def xlsform_bytes(
    *,
    form_id: str = "amparo_test",
    version: str = "1",
    title: str = "Encuesta de bienestar",
    public_key: str = "",
    extra_rows: tuple[list[str], ...] = (),
    extra_choices: tuple[list[str], ...] = (),
) -> bytes:
    """The test form as an .xlsx, compiled later by pyxform like any upload; `extra_rows` (survey rows, as
    SURVEY_ROWS) and `extra_choices` are added at the end."""
    book = openpyxl.Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    survey.append(SURVEY_HEADER)
    for row in [*SURVEY_ROWS, *extra_rows]:
        survey.append(row)
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", "label::Español (es)", "label::English (en)", "label::Português (pt)"])
    for row in [*CHOICES, *extra_choices]:
        choices.append(row)
    settings_sheet = book.create_sheet("settings")
    header = ["form_title", "form_id", "version", "default_language", "namespaces"]
    values = [title, form_id, version, "Español (es)", 'amparo="urn:amparo:xforms"']
    if public_key:
        header.append("public_key")
        values.append(public_key)
    settings_sheet.append(header)
    settings_sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def make_form(organization: Any, user: Any = None, **kwargs: Any) -> FormVersion:
    """Publish the test form (kwargs as for xlsform_bytes) for an organisation; returns the version."""
    return publish_xlsform(
        organization=organization, filename="amparo_test.xlsx", data=xlsform_bytes(**kwargs), user=user
    )


def instance_xml(
    version: FormVersion, answers: dict[str, str] | None = None, *, instance_id: str | None = None
) -> bytes:
    """An instance of the test form as Collect writes it: answers by question name (select_multiple space
    separated), the group nesting of the form, meta/instanceID."""
    answers = {
        "consent": "yes",
        "stats": "yes",
        "municipality": "CO54001",
        "gender": "trans_woman",
        "age": "29",
        "violence": "clients police",
        "comment": "texto libre que no debe quedar en claro",
        "score": "2",
        "today": "2026-12-01",
        **(answers or {}),
    }
    instance_id = instance_id or f"uuid:{uuid.uuid4()}"
    about = "".join(
        f"<{name}>{escape(answers.get(name, ''))}</{name}>"
        for name in ("stats", "municipality", "gender", "age", "violence", "comment", "photo")
    )
    body = (
        f"<consent>{escape(answers['consent'])}</consent><about>{about}</about>"
        f"<score>{escape(answers['score'])}</score><today>{escape(answers['today'])}</today>"
    )
    return (
        f'<?xml version="1.0"?><data xmlns:jr="http://openrosa.org/javarosa" '
        f'xmlns:orx="http://openrosa.org/xforms" id="{version.form.form_id}" version="{version.version}">'
        f"{body}<meta><instanceID>{instance_id}</instanceID></meta></data>"
    ).encode()


def make_submission(
    version: FormVersion,
    answers: dict[str, str] | None = None,
    *,
    source: str = Submission.Source.WEB,
    enumerator: Any = None,
    attachments: tuple[IncomingFile, ...] = (),
) -> Submission:
    submission, _created = receive_submission(
        xml=instance_xml(version, answers),
        attachments=attachments,
        source=source,
        forms=Form.objects.filter(pk=version.form_id),
        enumerator=enumerator,
    )
    return submission
