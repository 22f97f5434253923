"""The role matrix's rows for the forms' and phones' staff pages (form_views.py): coordinators manage their
organisation's forms and phones; analysts read the forms' lists. Empty POSTs answer 400 (nothing chosen) or go back
(302: revoking a phone). The objects are this module's own (a form of its own, a phone), so its POSTs change
nothing other modules' rows rely on."""

from __future__ import annotations

from typing import Any

from amparo.accounts.roles import Role
from amparo.accounts.tests.matrix_case import Case
from amparo.surveys import phones
from amparo.surveys.tests.factories import make_form

READERS = frozenset({Role.COORDINATOR, Role.ANALYST})
MANAGERS = frozenset({Role.COORDINATOR})


def _org(world: dict[str, object]) -> list[object]:
    return [world["org"].uuid]  # type: ignore[attr-defined]


def _form(world: dict[str, object]) -> list[object]:
    return [world["openrosa_form"].uuid]  # type: ignore[attr-defined]


def _version(world: dict[str, object]) -> list[object]:
    return [world["openrosa_form"].uuid, world["openrosa_version"].pk]  # type: ignore[attr-defined]


def _phone(world: dict[str, object]) -> list[object]:
    return [world["openrosa_phone"].uuid]  # type: ignore[attr-defined]


EXPECTED: dict[str, Case] = {
    "surveys:forms": Case(READERS, _org),
    "surveys:form_upload": Case(MANAGERS, _org),
    "surveys:phones": Case(MANAGERS, _org),
    "surveys:form_detail": Case(READERS, _form),
    "surveys:version_upload": Case(MANAGERS, _form),
    "surveys:form_enumerators": Case(MANAGERS, _form),
    "surveys:media_upload": Case(MANAGERS, _version, "post", 400),
    "surveys:form_open": Case(MANAGERS, _form, "post", 400),
    "surveys:phone_revoke": Case(MANAGERS, _phone, "post", 302),
}
POSTS: dict[str, Case] = {
    "surveys:form_upload": Case(MANAGERS, _org, "post", 400),
    "surveys:version_upload": Case(MANAGERS, _form, "post", 400),
    "surveys:phones": Case(MANAGERS, _org, "post", 400),
    "surveys:form_enumerators": Case(MANAGERS, _form, "post", 302),
}


def world(org: Any, users: dict[str, Any]) -> dict[str, object]:
    version = make_form(org, users[Role.COORDINATOR], form_id="matrix_openrosa")
    credential, _secret = phones.credential_create(
        actor=users[Role.COORDINATOR], organization=org, user=users[Role.ENUMERATOR], label="matrix"
    )
    return {"openrosa_form": version.form, "openrosa_version": version, "openrosa_phone": credential}
