"""One register (issue 13, item 9): Django's own messages, as Amparo shows them, say "tú" in Spanish and "você"
(Brazil) in Portuguese, like the rest of the interface; and staff tables read as lists at phone width."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import django
import polib
import pytest
from django import forms
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext

from amparo.core.django_messages import ADMIN_MESSAGES, ADMIN_PLURAL_MESSAGES, MESSAGES, PLURAL_MESSAGES

DJANGO = Path(django.__file__).parent
USTED = re.compile(
    r"\b(Introduzca|Asegúrese|Escoja|Seleccione|Envíe|Compruebe|Ingrese|Pulse|Mantenga|Empiece|Corrija|Puede|"
    r"Está seguro|usted|Su |su )\b"
)
# European Portuguese words and forms (Amparo's Portuguese is Brazil's, with "você").
EUROPEAN_PT = re.compile(
    r"\b(Introduza|Introduz|ficheiro|palavra-passe|utilizador|Gravar|Tem a certeza|acção|Objectos)\b"
)


def _django_msgids() -> set[object]:
    ids: set[object] = set()
    for path in (
        DJANGO / "conf/locale/es/LC_MESSAGES/django.po",
        DJANGO / "contrib/auth/locale/es/LC_MESSAGES/django.po",
        DJANGO / "contrib/admin/locale/es/LC_MESSAGES/django.po",
    ):
        for entry in polib.pofile(str(path)):
            ids.add((entry.msgid, entry.msgid_plural) if entry.msgid_plural else entry.msgid)
    return ids


def test_every_overridden_message_is_one_django_uses() -> None:
    known = _django_msgids()
    assert not [m for m in (*MESSAGES, *ADMIN_MESSAGES) if m not in known]
    assert not [p for p in (*PLURAL_MESSAGES, *ADMIN_PLURAL_MESSAGES) if p not in known]


@pytest.mark.parametrize("language", ["es", "pt"])
def test_django_messages_use_the_apps_register(language: str) -> None:
    singular = (*MESSAGES, *ADMIN_MESSAGES)
    plural = (*PLURAL_MESSAGES, *ADMIN_PLURAL_MESSAGES)
    with translation.override(language):
        texts = [gettext(m) for m in singular] + [ngettext(s, p, n) for s, p in plural for n in (1, 5)]
    same_in_every_language = {"Email", "Error:", "View", "View %s"}
    untranslated = [m for m, t in zip(singular, texts, strict=False) if t == m and m not in same_in_every_language]
    assert not untranslated
    if language == "es":
        assert not [t for t in texts if USTED.search(t)]
    else:
        assert not [t for t in texts if EUROPEAN_PT.search(t)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "title", "message", "password"),
    [
        (
            "es",
            "Selecciona organización para modificar",
            "Selecciona los elementos sobre los que quieres actuar. No se cambió ningún elemento.",
            "Por seguridad, escribe tu contraseña actual",
        ),
        (
            "pt",
            "Selecione organização para modificar",
            "Selecione os itens sobre os quais você quer agir. Nenhum item foi alterado.",
            "Por segurança, digite sua senha atual",
        ),
    ],
)
def test_the_admin_speaks_in_the_apps_register(
    verified_client_for: Callable[..., Client], language: str, title: str, message: str, password: str
) -> None:
    """A coordinator in the admin: the list of her directory entries, an action run with nothing selected (the
    admin's own message, through the messages framework) and the password page, in Amparo's register."""
    from amparo.accounts.models import Membership, Organization, User
    from amparo.accounts.roles import Role
    from amparo.directory.models import Organization as Entity

    member = Organization.objects.create(name="Red (admin words)")
    Entity.objects.create(name="Casa de Todas (admin words)", managed_by=member)
    coordinator = User.objects.create_user(username="c@w.example.org", email="c@w.example.org", password="x" * 16)
    Membership.objects.create(user=coordinator, organization=member, role=Role.COORDINATOR)
    client = verified_client_for(coordinator, HTTP_ACCEPT_LANGUAGE=language)
    url = reverse("admin:directory_organization_changelist")
    listing = client.get(url).content.decode()
    assert title in listing and ("Hola," if language == "es" else "Olá,") in listing
    nothing = client.post(url, {"action": "delete_selected", "index": "0"}, follow=True)
    page = nothing.content.decode()
    assert message in page
    changed_password = client.get(reverse("admin:password_change")).content.decode()
    assert password in changed_password
    for html in (page, changed_password):
        text = re.sub(r"<[^>]+>", " ", html)
        if language == "es":
            assert not USTED.search(text), USTED.search(text)
        else:
            assert not EUROPEAN_PT.search(text), EUROPEAN_PT.search(text)


def test_a_form_error_and_a_password_rule_read_in_the_register() -> None:
    def errors(language: str, check: object, *args: object) -> list[str]:
        with translation.override(language):  # messages are lazy: read them in the language
            try:
                check(*args)  # type: ignore[operator]
            except ValidationError as error:
                return [str(m) for m in error.messages]
        return []

    assert errors("es", forms.DateField().clean, "ayer") == ["Escribe una fecha válida."]
    assert errors("pt", forms.ChoiceField(choices=[("a", "A")]).clean, "b") == [
        "Escolha uma opção válida. b não é uma das opções disponíveis."
    ]
    password = errors("es", validate_password, "123456789")
    assert "Esta contraseña es demasiado corta. Debe tener al menos 12 caracteres." in password
    assert "Esta contraseña tiene solo números." in password


def test_staff_tables_become_lists_at_phone_width() -> None:
    css = (Path(settings.BASE_DIR) / "amparo/core/static/core/amparo.css").read_text()
    rule = css[css.index("@media screen and (max-width:40rem){\n.staff main table") :]
    assert "display:block" in rule and "attr(data-label)" in rule
    script = (Path(settings.BASE_DIR) / "amparo/core/static/core/staff.js").read_text()
    assert 'setAttribute("data-label"' in script


@pytest.mark.django_db
def test_the_audit_trail_names_actions_in_words_and_keeps_the_code(
    verified_client_for: Callable[..., Client],
) -> None:
    from amparo.accounts.models import Membership, Organization, User
    from amparo.accounts.roles import Role
    from amparo.audit.labels import ACTION_LABELS
    from amparo.audit.services import audit_record

    org = Organization.objects.create(name="Red (test)")
    coordinator = User.objects.create_user(username="c@r.example.org", email="c@r.example.org", password="x" * 16)
    Membership.objects.create(user=coordinator, organization=org, role=Role.COORDINATOR)
    with transaction.atomic():
        audit_record(actor=coordinator, action="case.closure.request", organization=org)
        audit_record(actor=coordinator, action="some.future.action", organization=org)
    page = verified_client_for(coordinator).get(reverse("audit:trail", args=[org.uuid])).content.decode()
    assert 'Pidió cerrar un caso <code class="meta">case.closure.request</code>' in page
    assert "<td>some.future.action</td>" in page  # no label yet: the code alone
    assert "audit.view" not in page  # the page shows the trail as it was when she opened it
    # Every label is translated, and every action the code records has one (a new action needs its words).
    with translation.override("en"):
        english = {action: str(label) for action, label in ACTION_LABELS.items()}
    for language in ("es", "pt"):
        with translation.override(language):
            assert not [a for a, label in ACTION_LABELS.items() if str(label) == english[a]], language
    recorded = set()
    for path in (Path(settings.BASE_DIR) / "amparo").rglob("*.py"):
        if "tests" not in path.parts:
            recorded |= set(re.findall(r'action="([a-z_]+\.[a-z_.]+)"', path.read_text()))
    assert not recorded - set(ACTION_LABELS)
