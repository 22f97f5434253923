"""Web entry (issue 14, item 4): the interview's state between pages, and its submission.

Between pages the answers live only in the page, in one hidden field: JSON encrypted with Fernet under a key
derived for this purpose from FIELD_ENCRYPTION_KEYS (HKDF, so the field keys never encrypt anything else), then
signed with a timestamp by `django.core.signing` (its own salt), so that it can neither be read nor changed nor kept
beyond `SURVEYS_WEB_ENTRY_MAX_AGE`. Nothing of the interview is in the session or the database until it is sent.
The state names the user, the form and the version it was started for: another's state is refused.

On submit the instance is written as ODK Collect writes it (`webform.instance_xml`) and goes through the same
`receive_submission(source="web")` as the phones' submissions: same checks, same storage, same audit. A one-time
token carried in the state (`core/once.py`) makes a second click, or Back and send again, find the first one.
"""

from __future__ import annotations

import base64
import io
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import openpyxl
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core import signing
from django.db import transaction

from amparo.core import once

from . import webform
from .models import Form
from .services import SubmissionError, receive_submission

__all__ = ["EntryState", "StateError", "SubmissionError", "seal", "unseal", "web_entry_submit"]

SIGNING_SALT = "amparo.surveys.webentry.state"
HKDF_INFO = b"amparo.surveys.webentry.state.v1"
MAX_STATE_CHARS = 1024 * 1024  # a state larger than this was not written by us
ONCE_KIND = "surveys.web_entry"


class StateError(Exception):
    """The hidden state cannot be used: `expired` when it is older than the maximum age, else tampered with."""

    def __init__(self, expired: bool = False) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


@dataclass
class EntryState:
    user_id: int
    form_uuid: str
    version_id: int
    answers: dict[str, str]
    page: int  # index in the form's pages; len(pages) is the summary
    instance_id: str  # uuid:...
    token: str  # the one-time token spent on submit
    started: str
    shown: list[str] = field(default_factory=list)  # the questions the page showed (to see new ones appear)

    def to_json(self) -> dict[str, Any]:
        return {
            "u": self.user_id,
            "f": self.form_uuid,
            "v": self.version_id,
            "a": self.answers,
            "p": self.page,
            "i": self.instance_id,
            "t": self.token,
            "s": self.started,
            "w": self.shown,
        }

    @classmethod
    def from_json(cls, data: Any) -> EntryState:
        try:
            answers = data["a"]
            if not isinstance(answers, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in answers.items()
            ):
                raise StateError
            return cls(
                user_id=int(data["u"]),
                form_uuid=str(data["f"]),
                version_id=int(data["v"]),
                answers=answers,
                page=int(data["p"]),
                instance_id=str(data["i"]),
                token=str(data["t"]),
                started=str(data["s"]),
                shown=[str(path) for path in data.get("w", [])],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise StateError from exc


@lru_cache(maxsize=4)
def _state_fernet(keys: tuple[str, ...]) -> MultiFernet:
    derived = []
    for key in keys:
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO)
        derived.append(Fernet(base64.urlsafe_b64encode(hkdf.derive(key.encode()))))
    return MultiFernet(derived)


def _fernet() -> MultiFernet:
    return _state_fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def seal(state: EntryState) -> str:
    """The state as the hidden field carries it: encrypted, then signed with a timestamp."""
    token = _fernet().encrypt(json.dumps(state.to_json(), separators=(",", ":")).encode()).decode()
    return signing.dumps(token, salt=SIGNING_SALT)


def unseal(value: str, *, user_id: int, form_uuid: str) -> EntryState:
    """The state sent back by the page; StateError if it is not ours, was changed, is another's or too old."""
    if not value or len(value) > MAX_STATE_CHARS:
        raise StateError
    try:
        token = signing.loads(value, salt=SIGNING_SALT, max_age=settings.SURVEYS_WEB_ENTRY_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise StateError(expired=True) from exc
    except signing.BadSignature as exc:
        raise StateError from exc
    try:
        data = json.loads(_fernet().decrypt(str(token).encode()))
    except (InvalidToken, ValueError) as exc:
        raise StateError from exc
    state = EntryState.from_json(data)
    if state.user_id != user_id or state.form_uuid != form_uuid:
        raise StateError
    return state


def new_state(*, user_id: int, form_uuid: str, version_id: int, form: webform.WebForm, now: datetime) -> EntryState:
    return EntryState(
        user_id=user_id,
        form_uuid=form_uuid,
        version_id=version_id,
        answers=webform.start(form, now),
        page=0,
        instance_id=f"uuid:{uuid.uuid4()}",
        token=once.new_token(),
        started=now.isoformat(),
    )


def next_page(form: webform.WebForm, state: webform.State, after: int) -> int:
    """The first page after `after` with something to show; len(pages) (the summary) when none is left."""
    for index in range(after + 1, len(form.pages)):
        if webform.page_visible(form, form.pages[index], state):
            return index
    return len(form.pages)


def previous_page(form: webform.WebForm, state: webform.State, before: int) -> int:
    for index in range(min(before, len(form.pages)) - 1, -1, -1):
        if webform.page_visible(form, form.pages[index], state):
            return index
    return next_page(form, state, -1)


def first_page_with_problems(form: webform.WebForm, problems: list[webform.Problem]) -> int:
    paths = {problem.path for problem in problems}
    for index, page in enumerate(form.pages):
        if any(question.path in paths for question in page.questions()):
            return index
    return 0


@transaction.atomic
def web_entry_submit(
    *, form: Any, version: Any, user: Any, web_form: webform.WebForm, entry: EntryState, now: datetime
) -> tuple[Any, bool]:
    """Send the interview: the instance as Collect writes it, through `receive_submission(source="web")`, once.

    Raises once.AlreadyDone when this interview was sent already (its ref is the submission's uuid), and the
    skeleton's SubmissionError when the server refuses it (a closed form, for instance): nothing is stored then."""
    final = webform.finish(web_form, entry.answers, now)
    state = webform.evaluate(web_form, final, now)
    xml = webform.instance_xml(web_form, state.answers, state.relevant, entry.instance_id)
    claimed = once.claim(user=user, kind=ONCE_KIND, token=entry.token, content={"instance": entry.instance_id})
    submission, created = receive_submission(
        xml=xml, attachments=[], source="web", forms=Form.objects.filter(pk=form.pk), enumerator=user
    )
    once.settle(claimed, submission.uuid)
    return submission, created


def survey_rows(version: Any) -> dict[str, int]:
    """Question name -> its row in the XLSForm's survey sheet, so that a refusal can say where to look. Only for
    .xlsx (the format partners author in); empty when the file cannot tell (it was checked when published)."""
    name = str(getattr(version, "xlsform_name", "") or "").lower()
    data = bytes(getattr(version, "xlsform", b"") or b"")
    if not name.endswith(".xlsx") or not data:
        return {}
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        return {}
    try:
        sheet = next((book[title] for title in book.sheetnames if title.strip().lower() == "survey"), None)
        if sheet is None:
            return {}
        rows: dict[str, int] = {}
        column: int | None = None
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if column is None:
                headers = [str(cell or "").strip().lower() for cell in row]
                if "name" in headers:
                    column = headers.index("name")
                continue
            if column < len(row) and row[column]:
                rows.setdefault(str(row[column]).strip(), number)
        return rows
    finally:
        book.close()
