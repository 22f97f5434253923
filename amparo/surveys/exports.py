"""CSV and XLSX exports of the risk characterisation: the same de-identified tables as the page, with the same
suppression (a hidden count is written "x"), one line per indicator and category, one column per group.

No row-level export: see docs/surveys.md ("Risk characterisation and disclosure control") for why."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.utils.translation import gettext as _

from . import characterisation as ch
from .analysis import Reading

HIDDEN = "x"


def _header(reading: Reading) -> list[str | int]:
    header: list[str | int] = [_("Indicator"), _("Answer"), _("Total")]
    for block in reading.page.blocks:
        header += [f"{block.label}: {column.label}" for column in block.columns]
    return header


def _value(value: int | None) -> str | int:
    return HIDDEN if value is None else value


def rows(reading: Reading) -> Iterator[list[str | int]]:
    """The table, line by line: the header, the respondents, then each indicator's categories."""
    yield _header(reading)
    respondents: list[str | int] = [_("Respondents"), "", _value(reading.page.respondents)]
    for block in reading.page.blocks:
        respondents += [_value(column.respondents) for column in block.columns]
    yield respondents
    for table in reading.page.tables:
        for row in table.rows:
            label = row.label if row.code != ch.NO_ANSWER else _("No answer")
            line: list[str | int] = [table.indicator.label, label, _value(row.total)]
            for values in row.values:
                line += [_value(v) for v in values]
            yield line


def notes(reading: Reading) -> list[str]:
    return [
        _("Only interviews with consent to count them in statistics are counted."),
        _("Left out (no consent to statistics): %(n)d.") % {"n": reading.left_out_no_consent},
        _("Left out (encrypted, not yet decrypted): %(n)d.") % {"n": reading.left_out_encrypted},
        _(
            "x: hidden, because it counts fewer than %(threshold)d people or because it would let a hidden count be "
            "worked out from the totals."
        )
        % {"threshold": reading.page.threshold},
        _("For a question with several answers, each answer counts the people who chose it."),
    ]


def as_csv(reading: Reading) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in rows(reading):
        writer.writerow([_safe_cell(v) for v in line])
    writer.writerow([])
    for note in notes(reading):
        writer.writerow([note])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # the BOM makes spreadsheet programs read UTF-8


def as_xlsx(reading: Reading) -> bytes:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(_("Characterisation")[:31])
    for line in rows(reading):
        sheet.append([_safe_cell(v) for v in line])
    about = book.create_sheet(_("Notes")[:31])
    about.append([reading.form.title])
    for note in notes(reading):
        about.append([note])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _safe_cell(value: str | int) -> str | int:
    """Labels come from uploaded forms: one starting with = + - @ would run as a formula in a spreadsheet."""
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + value
    return value
