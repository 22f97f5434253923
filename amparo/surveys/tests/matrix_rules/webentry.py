"""The web entry's rows of the role matrix: enumerators assigned to the form and coordinators of its organisation
fill it; everyone else gets the 404 of a page that does not exist. A POST without the page's state is a 400."""

from __future__ import annotations

from typing import Any

from amparo.accounts.roles import Role
from amparo.accounts.tests.matrix_case import Case
from amparo.surveys.services import publish_xlsform
from amparo.surveys.tests.test_webentry import short_form_xlsx

ENTRY = frozenset({Role.ENUMERATOR, Role.COORDINATOR})


def _form(world: dict[str, object]) -> list[object]:
    return [world["webentry_form"].uuid]  # type: ignore[attr-defined]


EXPECTED: dict[str, Case] = {
    "surveys:entry_list": Case(ENTRY),
    "surveys:entry": Case(ENTRY, _form),
    "surveys:entry_sent": Case(ENTRY, _form),
}
POSTS: dict[str, Case] = {
    "surveys:entry": Case(ENTRY, _form, "post", 400),
}


def world(org: Any, users: dict[str, Any]) -> dict[str, object]:
    version = publish_xlsform(
        organization=org, filename="webentry.xlsx", data=short_form_xlsx(), user=users[Role.COORDINATOR]
    )
    version.form.enumerators.add(users[Role.ENUMERATOR])
    return {"webentry_form": version.form}
