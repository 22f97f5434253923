"""Web entry pages through the Django test client (which runs no JavaScript, like a phone with it off): who may fill
which form, the pages with relevance, required and constraint messages, the summary and the submission, which
arrives as the schema expects; the hidden state cannot be read, changed, reused by another or kept too long."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from html import unescape
from typing import Any

import openpyxl
import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from amparo.accounts.models import Organization, User
from amparo.accounts.roles import Role
from amparo.audit.models import AuditEntry
from amparo.core.models import FormToken
from amparo.safechannel.tests.conftest import make_staff
from amparo.surveys import webentry_services, webform
from amparo.surveys.extract import parse_instance, values_by_path
from amparo.surveys.models import Form, FormVersion, Submission
from amparo.surveys.services import publish_xlsform
from amparo.surveys.tests.factories import make_form

LABELS = ["label::Español (es)", "label::English (en)", "label::Português (pt)"]
# (type, name, es, en, pt, required, relevant, constraint, constraint_message::es, calculation, facet)
SHORT_SURVEY: list[list[str]] = [
    [
        "type",
        "name",
        *LABELS,
        "required",
        "relevant",
        "constraint",
        "constraint_message::Español (es)",
        "calculation",
        "bind::amparo:facet",
    ],
    ["start", "started", "", "", "", "", "", "", "", "", ""],
    ["select_one yn", "consent", "¿Acepta la entrevista?", "Do you agree?", "Você aceita?", "yes", "", "", "", "", ""],
    ["begin_group", "about", "Sobre usted", "About you", "Sobre você", "", "${consent} = 'yes'", "", "", "", ""],
    [
        "select_one muni",
        "municipality",
        "Municipio",
        "Municipality",
        "Município",
        "yes",
        "",
        "",
        "",
        "",
        "municipality",
    ],
    [
        "integer",
        "age",
        "Edad",
        "Age",
        "Idade",
        "",
        "",
        ". >= 18 and . < 100",
        "Debe tener entre 18 y 99 años",
        "",
        "age",
    ],
    [
        "select_multiple places",
        "places",
        "Dónde trabaja",
        "Where you work",
        "Onde trabalha",
        "",
        "${age} >= 18",
        "",
        "",
        "",
        "",
    ],
    ["decimal", "hours", "Horas por día", "Hours a day", "Horas por dia", "", "", ". <= 24", "", "", ""],
    ["date", "arrived", "Llegada", "Arrival", "Chegada", "", "", "", "", "", ""],
    ["text", "remark", "Comentario", "Remark", "Comentário", "", "", "", "", "", ""],
    ["end_group", "", "", "", "", "", "", "", "", "", ""],
    ["calculate", "place_count", "", "", "", "", "", "", "", "count-selected(${places})", ""],
    ["note", "thanks", "Gracias por su tiempo", "Thank you", "Obrigada", "", "", "", "", "", ""],
    ["today", "today", "", "", "", "", "", "", "", "", "interview_date"],
]
SHORT_CHOICES: list[list[str]] = [
    ["list_name", "name", *LABELS],
    ["yn", "yes", "Sí", "Yes", "Sim"],
    ["yn", "no", "No", "No", "Não"],
    ["muni", "CO54001", "Cúcuta", "Cúcuta", "Cúcuta"],
    ["muni", "CO44001", "Riohacha", "Riohacha", "Riohacha"],
    ["places", "street", "Calle", "Street", "Rua"],
    ["places", "bar", "Bar", "Bar", "Bar"],
    ["places", "online", "En línea", "Online", "Online"],
]


def short_form_xlsx(
    *, form_id: str = "bienestar_web", version: str = "1", title: str = "Encuesta de bienestar"
) -> bytes:
    book = openpyxl.Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    for row in SHORT_SURVEY:
        survey.append(row)
    choices = book.create_sheet("choices")
    for row in SHORT_CHOICES:
        choices.append(row)
    settings_sheet = book.create_sheet("settings")
    settings_sheet.append(["form_title", "form_id", "version", "default_language", "namespaces"])
    settings_sheet.append([title, form_id, version, "Español (es)", 'amparo="urn:amparo:xforms"'])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class EntryWorld:
    def __init__(self) -> None:
        self.org = Organization.objects.create(name="Red Violeta (web entry)")
        self.other = Organization.objects.create(name="Otra (web entry)")
        self.coordinator = make_staff("coord@webentry.example.org", self.org, Role.COORDINATOR, with_key=False)
        self.enumerator = make_staff("encuestadora@webentry.example.org", self.org, Role.ENUMERATOR, with_key=False)
        self.unassigned = make_staff("otra-enc@webentry.example.org", self.org, Role.ENUMERATOR, with_key=False)
        self.caseworker = make_staff("gestora@webentry.example.org", self.org, Role.CASEWORKER, with_key=False)
        self.outsider = make_staff("coord@otra-webentry.example.org", self.other, Role.COORDINATOR, with_key=False)
        self.version = publish_xlsform(
            organization=self.org, filename="bienestar.xlsx", data=short_form_xlsx(), user=self.coordinator
        )
        self.form = self.version.form
        self.form.enumerators.add(self.enumerator)


@pytest.fixture
def ew(db: None) -> EntryWorld:
    return EntryWorld()


@pytest.fixture
def client_for(verified_client_for: Callable[..., Client]) -> Callable[[User], Client]:
    def make(user: User) -> Client:
        return verified_client_for(user, HTTP_ACCEPT_LANGUAGE="es")

    return make


def entry_url(form: Form) -> str:
    return reverse("surveys:entry", args=[form.uuid])


def state_of(html: str) -> str:
    found = re.search(r'name="state" value="([^"]+)"', html)
    assert found, html[:3000]
    return unescape(found.group(1))


def post(client: Client, form: Form, state: str, action: str = "next", **fields: Any) -> Any:
    data: dict[str, Any] = {"state": state, "action": action}
    for name, value in fields.items():
        data[f"/data/{name.replace('__', '/')}"] = value
    return client.post(entry_url(form), data)


def test_who_sees_which_forms(ew: EntryWorld, client_for: Callable[[User], Client]) -> None:
    closed = make_form(ew.org, ew.coordinator, form_id="cerrado", title="Formulario cerrado")
    closed.form.is_open = False
    closed.form.save()
    enumerator = client_for(ew.enumerator)
    listing = enumerator.get(reverse("surveys:entry_list")).content.decode()
    assert "Encuesta de bienestar" in listing and "Formulario cerrado" not in listing
    assert enumerator.get(entry_url(ew.form)).status_code == 200
    # an enumerator not assigned to the form, a caseworker, another organisation's coordinator: the same 404
    assert client_for(ew.unassigned).get(entry_url(ew.form)).status_code == 404
    assert "Encuesta de bienestar" not in client_for(ew.unassigned).get(reverse("surveys:entry_list")).content.decode()
    assert client_for(ew.caseworker).get(entry_url(ew.form)).status_code == 404
    assert client_for(ew.outsider).get(entry_url(ew.form)).status_code == 404
    assert client_for(ew.outsider).post(entry_url(ew.form), {"state": "x"}).status_code == 404
    # the coordinator of the form's organisation may fill it
    assert client_for(ew.coordinator).get(entry_url(ew.form)).status_code == 200


def test_an_interview_through_the_pages_arrives_as_the_schema_expects(
    ew: EntryWorld, client_for: Callable[[User], Client]
) -> None:
    client = client_for(ew.enumerator)
    page = client.get(entry_url(ew.form))
    html = page.content.decode()
    assert page["Cache-Control"].count("no-store")
    assert "<title>Encuesta de bienestar · Amparo</title>" in html  # the cover title, nothing else
    assert "¿Acepta la entrevista?" in html and "Municipio" not in html  # one page: the questions outside groups
    assert 'id="quick-exit"' in html
    assert "Sobre usted" not in html

    # nothing answered: the required message, next to the question and at the top
    page = post(client, ew.form, state_of(html))
    html = page.content.decode()
    assert page.status_code == 200 and "Esta pregunta necesita una respuesta." in html
    assert "aria-invalid" in html or 'id="q-data-consent-error"' in html

    page = post(client, ew.form, state_of(html), consent="yes")
    html = page.content.decode()
    assert "Sobre usted" in html and "Municipio" in html and "Cúcuta" in html

    # a constraint with the form's own message; a bad number; the page keeps what was typed
    page = post(
        client,
        ew.form,
        state_of(html),
        about__municipality="CO54001",
        about__age="15",
        about__hours="treinta",
        about__remark="Texto-Secreto-4471",
    )
    html = page.content.decode()
    assert "Debe tener entre 18 y 99 años" in html and "Escribe un número" in html
    assert 'value="Texto-Secreto-4471"' in html

    # with an age of 18 or more, "where you work" is relevant: the page comes back with it before moving on
    assert "Dónde trabaja" not in html
    answers = {
        "about__municipality": "CO54001",
        "about__age": "29",
        "about__hours": "7,5",
        "about__arrived": "2024-03-15",
        "about__remark": "Texto-Secreto-4471",
    }
    html = post(client, ew.form, state_of(html), **answers).content.decode()
    assert "Dónde trabaja" in html and "abren más preguntas" in html and 'value="29"' in html
    assert "necesita una respuesta" not in html

    page = post(
        client,
        ew.form,
        state_of(html),
        about__municipality="CO54001",
        about__age="29",
        about__places=["street", "online"],
        about__hours="7,5",
        about__arrived="2024-03-15",
        about__remark="Texto-Secreto-4471",
    )
    html = page.content.decode()
    assert "Gracias por su tiempo" in html  # the page after the group: the note

    page = post(client, ew.form, state_of(html))
    html = page.content.decode()
    assert "Revisa las respuestas antes de enviar" in html or "Check the answers" in html or "Enviar" in html
    assert "Calle, En línea" in html and "Texto-Secreto-4471" in html

    # nothing of the interview is stored before it is sent
    assert not Submission.objects.exists()
    page = post(client, ew.form, state_of(html), action="submit")
    submission = Submission.objects.get()
    sent = reverse("surveys:entry_sent", args=[ew.form.uuid])
    assert page.status_code == 302 and page["Location"] == f"{sent}?interview={submission.uuid}"
    # This form asks no needs: the page after sending offers no referral offer.
    after = client.get(page["Location"])
    assert after.status_code == 200
    assert reverse("surveys:offer", args=[submission.uuid]) not in after.content.decode()

    assert submission.source == "web" and submission.enumerator == ew.enumerator
    assert submission.version == ew.version and submission.instance_id.startswith("uuid:")
    assert submission.answers == {
        "consent": "yes",
        "municipality": "CO54001",
        "age": 29,
        "places": ["street", "online"],
        "hours": 7.5,
        "arrived": "2024-03-15",
        "place_count": 2.0,
        "today": submission.interview_date.isoformat() if submission.interview_date else None,
        "started": submission.answers.get("started"),
    }
    assert "Texto-Secreto-4471" not in repr(submission.answers)  # free text only in the encrypted instance
    assert submission.municipality_pcode == "CO54001" and submission.age_band
    root = parse_instance(submission.raw_instance.encode())
    values = values_by_path(root)
    assert root.get("id") == "bienestar_web" and root.get("version") == "1"
    assert values["/data/about/remark"] == "Texto-Secreto-4471"
    assert values["/data/meta/instanceID"] == submission.instance_id
    schema_paths = {question["path"] for question in ew.version.schema}
    assert schema_paths <= set(values), schema_paths - set(values)
    assert AuditEntry.objects.filter(action="survey.submission.receive", actor_id=ew.enumerator.pk).count() == 1


def test_relevance_drops_answers_and_skips_pages(ew: EntryWorld, client_for: Callable[[User], Client]) -> None:
    client = client_for(ew.coordinator)
    html = client.get(entry_url(ew.form)).content.decode()
    # consent = no: the group is not relevant, its page is skipped
    html = post(client, ew.form, state_of(html), consent="no").content.decode()
    assert "Gracias por su tiempo" in html and "Municipio" not in html
    html = post(client, ew.form, state_of(html)).content.decode()
    assert post(client, ew.form, state_of(html), action="submit").status_code == 302
    submission = Submission.objects.get()
    values = values_by_path(parse_instance(submission.raw_instance.encode()))
    assert "/data/about" not in values and values["/data/consent"] == "no"
    assert submission.answers["consent"] == "no" and "age" not in submission.answers


def test_going_back_and_changing_an_answer_drops_what_is_no_longer_relevant(
    ew: EntryWorld, client_for: Callable[[User], Client]
) -> None:
    client = client_for(ew.enumerator)
    html = client.get(entry_url(ew.form)).content.decode()
    html = post(client, ew.form, state_of(html), consent="yes").content.decode()
    html = post(
        client, ew.form, state_of(html), about__municipality="CO44001", about__age="30", about__remark="algo"
    ).content.decode()
    html = post(  # "where you work" appeared; she leaves it empty
        client, ew.form, state_of(html), about__municipality="CO44001", about__age="30", about__remark="algo"
    ).content.decode()
    html = post(client, ew.form, state_of(html)).content.decode()  # the note page -> summary
    assert "Riohacha" in html
    html = post(client, ew.form, state_of(html), action="goto-0").content.decode()
    assert "¿Acepta la entrevista?" in html and 'value="yes" checked' in html
    html = post(client, ew.form, state_of(html), consent="no").content.decode()
    html = post(client, ew.form, state_of(html)).content.decode()
    assert "Riohacha" not in html
    assert post(client, ew.form, state_of(html), action="submit").status_code == 302
    assert Submission.objects.get().municipality_pcode == ""


def test_sending_twice_makes_one_record(ew: EntryWorld, client_for: Callable[[User], Client]) -> None:
    client = client_for(ew.enumerator)
    html = client.get(entry_url(ew.form)).content.decode()
    html = post(client, ew.form, state_of(html), consent="no").content.decode()
    summary = post(client, ew.form, state_of(html)).content.decode()
    first = post(client, ew.form, state_of(summary), action="submit")
    again = post(client, ew.form, state_of(summary), action="submit")
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]  # the same page, naming the same interview
    assert Submission.objects.count() == 1
    assert FormToken.objects.filter(kind=webentry_services.ONCE_KIND).count() == 1


def test_tampered_foreign_and_expired_state_is_refused(
    ew: EntryWorld, client_for: Callable[[User], Client], settings: Any
) -> None:
    client = client_for(ew.enumerator)
    html = client.get(entry_url(ew.form)).content.decode()
    state = state_of(html)
    # the state cannot be read: it is not the answers in clear, nor base64 of them
    assert "consent" not in state and "/data/" not in state
    assert "/data/" not in signing.loads(state, salt=webentry_services.SIGNING_SALT)

    changed = state[:-3] + ("AAA" if not state.endswith("AAA") else "BBB")
    page = post(client, ew.form, changed, consent="yes")
    assert page.status_code == 400 and "no se puede usar" in page.content.decode()
    # a state re-signed by someone who knows no key but the signing salt: still nothing without the encryption key
    forged = signing.dumps("not-a-fernet-token", salt=webentry_services.SIGNING_SALT)
    assert post(client, ew.form, forged, consent="yes").status_code == 400
    assert post(client, ew.form, "", consent="yes").status_code == 400
    assert post(client, ew.form, "x" * (2 * 1024 * 1024), consent="yes").status_code == 400
    # another staff member's state, even of the same form: refused
    coordinator = client_for(ew.coordinator)
    assert post(coordinator, ew.form, state, consent="yes").status_code == 400
    # an unknown action or a page number out of range
    assert post(client, ew.form, state, action="delete").status_code == 400
    assert post(client, ew.form, state, action="goto-99").status_code == 400
    assert post(client, ew.form, state, action="submit").status_code == 400  # not from the summary

    settings.SURVEYS_WEB_ENTRY_MAX_AGE = -1  # every state is older than this
    page = post(client, ew.form, state, consent="yes")
    assert page.status_code == 400 and "expir" in page.content.decode()
    assert not Submission.objects.exists()


def test_forms_the_web_entry_cannot_render_are_refused_by_name(
    ew: EntryWorld, client_for: Callable[[User], Client]
) -> None:
    # the skeleton's test form has a photo question (image): the page names it, with its row in the survey sheet
    version = make_form(ew.org, ew.coordinator, form_id="con_foto", title="Encuesta con foto")
    page = client_for(ew.coordinator).get(entry_url(version.form))
    html = page.content.decode()
    assert page.status_code == 200 and "«photo»" not in html
    assert "“photo”" in html and "fila 10" in html
    assert 'name="state"' not in html


def test_encrypted_forms_are_refused_with_the_reason(ew: EntryWorld, client_for: Callable[[User], Client]) -> None:
    version = FormVersion.objects.get(pk=ew.version.pk)
    version.encrypted = True
    FormVersion.objects.filter(pk=version.pk).update(encrypted=True)
    page = client_for(ew.enumerator).get(entry_url(ew.form))
    html = page.content.decode()
    assert page.status_code == 200 and "cifrado" in html and "ODK Collect" in html and 'name="state"' not in html


def test_the_interview_page_shows_no_menu_and_other_languages(
    ew: EntryWorld, client_for: Callable[[User], Client], verified_client_for: Callable[..., Client]
) -> None:
    html = client_for(ew.enumerator).get(entry_url(ew.form)).content.decode()
    assert 'class="menu' not in html and "Casos" not in html
    english = verified_client_for(ew.coordinator, HTTP_ACCEPT_LANGUAGE="en")
    html = english.get(entry_url(ew.form)).content.decode()
    assert "Do you agree?" in html and "Leave and discard this interview" in html
    portuguese = verified_client_for(ew.enumerator, HTTP_ACCEPT_LANGUAGE="pt-BR")
    html = portuguese.get(entry_url(ew.form)).content.decode()
    assert "Você aceita?" in html and "Sair e descartar esta entrevista" in html


def test_webform_reads_the_published_xform(ew: EntryWorld) -> None:
    form = webform.build(ew.version.xform)
    assert [page.group.name if page.group else None for page in form.pages] == [None, "about", None]
    assert form.questions["/data/about/municipality"].kind == "select_one"
