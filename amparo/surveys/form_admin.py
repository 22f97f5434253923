"""Coordinators' writes on their organisation's forms, one transaction each, audited in it: open or close a form,
choose its enumerators, add the files a version needs on the phone (media). Publishing a version is
`services.publish_xlsform`; phones' credentials are in `phones.py`."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable
from typing import Any

import filetype
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from amparo.audit.services import audit_record
from amparo.core.uploads import safe_name

from .models import Form, FormVersion, MediaFile
from .phones import enumerators_of

# What a form may carry to the phone: CSVs (select_one_from_file, pulldata) and images (choice images, logos).
MEDIA_TYPES = {"csv": "text/csv", "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png"}
_REFERENCE = re.compile(r"jr://(?:file|file-csv|images)/([^\s\"'<>]+)")


class MediaRejected(ValueError):
    """A media file refused; the message says why, for the coordinator."""


def max_media_bytes() -> int:
    return int(getattr(settings, "SURVEYS_MAX_MEDIA_BYTES", 10 * 1024 * 1024))


def referenced_files(version: FormVersion) -> set[str]:
    """The file names the version's XForm refers to (jr://file/, jr://file-csv/, jr://images/)."""
    return set(_REFERENCE.findall(version.xform))


def form_set_open(*, actor: Any, form: Form, is_open: bool) -> bool:
    """Open or close a form for submissions; False when it already was so."""
    with transaction.atomic():
        locked = Form.objects.select_for_update().get(pk=form.pk)
        if locked.is_open == is_open:
            return False
        locked.is_open = is_open
        locked.save(update_fields=["is_open"])
        audit_record(
            actor=actor,
            action="survey.form.open" if is_open else "survey.form.close",
            obj=locked,
            organization=locked.organization,
        )
    form.is_open = is_open
    return True


def form_set_enumerators(*, actor: Any, form: Form, users: Iterable[Any]) -> int:
    """The enumerators who may fill the form on their phones (members of its organisation with that role only)."""
    allowed = set(enumerators_of(form.organization).values_list("pk", flat=True))
    chosen = {user.pk for user in users}
    if chosen - allowed:
        raise ValueError("only enumerators of the form's organisation may be assigned")
    with transaction.atomic():
        before = set(form.enumerators.values_list("pk", flat=True))
        form.enumerators.set(chosen)
        audit_record(
            actor=actor,
            action="survey.form.enumerators",
            obj=form,
            organization=form.organization,
            detail={"added": len(chosen - before), "removed": len(before - chosen), "total": len(chosen)},
        )
    return len(chosen)


def media_add(*, actor: Any, version: FormVersion, filename: str, data: bytes) -> MediaFile:
    """Add a file a version's XForm refers to. Checked by contents before it is stored: a CSV must be UTF-8 text
    that reads as rows, an image must be the image its name says. Raises MediaRejected."""
    name = safe_name(filename)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in MEDIA_TYPES:
        raise MediaRejected(_("A form's file is a CSV, a JPEG or a PNG image."))
    if not data:
        raise MediaRejected(_("The file is empty."))
    if len(data) > max_media_bytes():
        raise MediaRejected(_("The file is larger than %(mb)s MB.") % {"mb": max_media_bytes() // (1024 * 1024)})
    if name not in referenced_files(version):
        raise MediaRejected(
            _("The form does not use a file named “%(name)s”: name it as the form does (%(names)s).")
            % {"name": name, "names": ", ".join(sorted(referenced_files(version))) or _("none")}
        )
    content_type = MEDIA_TYPES[extension]
    if extension == "csv":
        _check_csv(data)
    else:
        kind = filetype.guess(data)
        if kind is None or kind.mime != content_type:
            raise MediaRejected(_("The file's contents are not the image its name says."))
    with transaction.atomic():
        if version.media.filter(filename=name).exists():
            raise MediaRejected(
                _("This version already has a file “%(name)s”; a published version never changes: upload a new "
                  "version of the form to change it.") % {"name": name}
            )  # fmt: skip
        media = MediaFile.objects.create(
            version=version,
            filename=name,
            content_type=content_type,
            content=data,
            md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
        )
        audit_record(
            actor=actor,
            action="survey.media.add",
            obj=version.form,
            organization=version.form.organization,
            detail={"version": version.version, "media": media.pk, "bytes": len(data)},
        )
    return media


def _check_csv(data: bytes) -> None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MediaRejected(_("The CSV file is not UTF-8 text: save it again as “CSV UTF-8”.")) from None
    if "\x00" in text:
        raise MediaRejected(_("The CSV file is not text."))
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error:
        raise MediaRejected(_("The CSV file could not be read as rows and columns.")) from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise MediaRejected(_("The CSV file has no header row."))
