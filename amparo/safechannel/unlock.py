"""Opening a report for a signed-in recipient: the report key her unlocked private key opens, or the page that says
how to unlock it.

Shared by the channel's staff pages and by other apps' pages that read a report (a referral made from a report), so
that no app imports another app's views.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from amparo.accounts.models import User

from . import keyring, services
from .models import Report


def report_key_or_locked(request: HttpRequest, user: User, report: Report) -> bytes | HttpResponse:
    """The report key this recipient's unlocked private key opens, or the page that says how to unlock it."""
    private = keyring.private_key(request)
    key = services.report_key_for(report, user, private)
    if key is None:
        return render(
            request, "safechannel/staff/locked.html", {"report": report, "signed_in_again": private is not None}
        )
    return key
