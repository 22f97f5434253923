"""An organisation's survey key: the RSA key pair whose public half encrypted forms carry (XLSForm settings
`public_key`), and whose private half decrypts their submissions for analysis.

- A coordinator creates it with a passphrase. The private key is stored only as PKCS#8 PEM encrypted under that
  passphrase (`BestAvailableEncryption`); the passphrase is never stored or logged, and it lives only for the request
  that uses it. Forgetting it makes the submissions encrypted with that key unreadable: nobody, Amparo included,
  can recover them. That is the point.
- Rotation: a new key replaces the current one for new forms; the old one is kept (`active=False`) with its own
  passphrase, so submissions already encrypted with it still decrypt. A submission records the fingerprint
  (SHA-256 of the public key) of the key its form version carried (`Submission.key_fingerprint`).
- An encrypted form whose `public_key` is not the organisation's current key is refused at upload, and the value
  "organization" is filled with it (`with_organization_key`, called by `services.publish_xlsform`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from amparo.audit.services import audit_record

from . import odk_crypto
from .models import SurveyKey
from .xlsform import CompiledForm, FormProblem, XLSFormError

KEY_BITS = 3072
MIN_PASSPHRASE_CHARS = 12
MAX_PASSPHRASE_CHARS = 1024


class WrongPassphrase(ValueError):
    """The passphrase does not open the key."""


# --- Pure key handling -----------------------------------------------------------------------------------------


def _passphrase_bytes(passphrase: str) -> bytes:
    return passphrase.encode("utf-8")


def check_passphrase_strength(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE_CHARS:
        raise ValidationError(
            _("The passphrase needs at least %(n)d characters: a few unrelated words are easy to remember."),
            params={"n": MIN_PASSPHRASE_CHARS},
            code="passphrase_short",
        )
    if len(passphrase) > MAX_PASSPHRASE_CHARS:
        raise ValidationError(_("The passphrase is too long."), code="passphrase_long")


def generate_key_pair(passphrase: str) -> tuple[str, str]:
    """(public key PEM, private key as encrypted PKCS#8 PEM)."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_passphrase_bytes(passphrase)),
    )
    return public_pem.decode("ascii"), private_pem.decode("ascii")


def unlock(private_key_pem: str, passphrase: str) -> rsa.RSAPrivateKey:
    """The private key, or WrongPassphrase. Keep the result only for the request."""
    if not passphrase or len(passphrase) > MAX_PASSPHRASE_CHARS:
        raise WrongPassphrase
    try:
        key = serialization.load_pem_private_key(private_key_pem.encode("ascii"), _passphrase_bytes(passphrase))
    except (ValueError, TypeError) as exc:
        raise WrongPassphrase from exc
    if not isinstance(key, rsa.RSAPrivateKey):  # pragma: no cover - we only ever store RSA keys
        raise WrongPassphrase
    return key


def xlsform_public_key(public_key_pem: str) -> str:
    """What goes into the XLSForm settings column `public_key`: base64 DER, one line."""
    return odk_crypto.public_key_base64(odk_crypto.load_public_key(public_key_pem))


# --- The organisation's keys -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyInfo:
    """A key as the key page shows it: never the private half."""

    fingerprint: str
    public_key: str  # for the XLSForm
    created_at: datetime
    current: bool

    @property
    def short_fingerprint(self) -> str:
        return " ".join(self.fingerprint[i : i + 4] for i in range(0, 16, 4))


def current_key(organization: Any) -> SurveyKey | None:
    return SurveyKey.objects.filter(organization=organization, active=True).order_by("-created_at", "-pk").first()


def organization_keys(organization: Any) -> list[KeyInfo]:
    """The current key first, then the earlier ones, newest first."""
    return [
        KeyInfo(
            fingerprint=key.fingerprint,
            public_key=xlsform_public_key(key.public_key_pem),
            created_at=key.created_at,
            current=key.active,
        )
        for key in SurveyKey.objects.filter(organization=organization).order_by("-active", "-created_at", "-pk")
    ]


def private_keys_pem(organization: Any) -> dict[str, str]:
    """fingerprint -> encrypted private key PEM, for every key the organisation ever had."""
    return dict(SurveyKey.objects.filter(organization=organization).values_list("fingerprint", "private_key_pem"))


def survey_key_create(*, organization: Any, passphrase: str, actor: Any) -> SurveyKey:
    """Create the organisation's key pair, or rotate it: the current key stops serving new forms but is kept, so
    what it encrypted still decrypts (with its own passphrase). The passphrase is used once and not kept."""
    check_passphrase_strength(passphrase)
    public_pem, private_pem = generate_key_pair(passphrase)
    with transaction.atomic():
        previous = list(
            SurveyKey.objects.select_for_update().filter(organization=organization, active=True).order_by("pk")
        )
        SurveyKey.objects.filter(pk__in=[key.pk for key in previous]).update(active=False)
        key = SurveyKey.objects.create(
            organization=organization,
            fingerprint=odk_crypto.fingerprint(public_pem),
            public_key_pem=public_pem,
            private_key_pem=private_pem,
            active=True,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="survey.key.rotate" if previous else "survey.key.create",
            obj=key,
            organization=organization,
            detail={"fingerprint": key.fingerprint[:16], "replaced": [old.fingerprint[:16] for old in previous]},
        )
    return key


ORGANIZATION_KEY_WORDS = frozenset({"organization", "organisation", "organización", "organizacion", "organização"})


def with_organization_key(organization: Any, compiled: CompiledForm) -> CompiledForm:
    """For the XLSForm publication: an encrypted form must carry the organisation's current key.

    A `public_key` of "organization" (or "organización", "organização") in the settings sheet is filled with it
    here; any other key that is not the current one is refused with a plain message (XLSFormError)."""
    if not compiled.encrypted:
        return compiled
    key = current_key(organization)
    if key is None:
        raise _settings_problem(
            _(
                "This form is encrypted (public_key in the settings sheet), but the organisation has no survey key "
                "yet. A coordinator creates it on the survey key page; then upload the form again."
            )
        )
    if compiled.public_key.strip().lower() in ORGANIZATION_KEY_WORDS:
        public_key = xlsform_public_key(key.public_key_pem)
        written = f'base64RsaPublicKey="{compiled.public_key}"'
        if compiled.xform.count(written) != 1:  # pragma: no cover - pyxform writes the setting once, as is
            raise _settings_problem(_("The public_key in the settings sheet could not be filled in."))
        xform = compiled.xform.replace(written, f'base64RsaPublicKey="{public_key}"')
        return replace(
            compiled,
            xform=xform,
            public_key=public_key,
            md5=hashlib.md5(xform.encode(), usedforsecurity=False).hexdigest(),
        )
    try:
        fingerprint = odk_crypto.fingerprint(compiled.public_key)
    except ValueError:
        raise _settings_problem(
            _(
                "The public_key in the settings sheet is not a valid RSA public key of at least 2048 bits. Copy it "
                "from the survey key page, or write “organization” to have it filled in."
            )
        ) from None
    if fingerprint != key.fingerprint:
        raise _settings_problem(
            _(
                "The public_key in the settings sheet is not the organisation's current survey key. Copy it from the "
                "survey key page, or write “organization” to have it filled in."
            )
        )
    return compiled


def _settings_problem(message: str) -> XLSFormError:
    return XLSFormError([FormProblem(message, sheet="settings")])


def key_fingerprint_of(version: Any) -> str:
    """The fingerprint of the key an encrypted form version carries ("" for a plain one)."""
    if not version.public_key:
        return ""
    try:
        return odk_crypto.fingerprint(version.public_key)
    except ValueError:
        return ""


def manifest_problem(root: Any) -> str:
    """At reception: an encrypted submission's manifest must be one (key, XML file, instanceID, file names), so
    that what is stored can be decrypted later. The reason to refuse it, or "" when it is one."""
    try:
        odk_crypto.parse_manifest(root)
    except odk_crypto.EnvelopeError:
        return _("The encrypted submission's manifest is incomplete or not valid.")
    return ""
