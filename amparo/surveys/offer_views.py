"""The referral offer's pages (issue 14, item 6): at the end of an interview, the nearest services and pathways for
her municipality and needs, and the offer of a referral with her consent; and the printable card for phone
interviews. Thin: `referral_offer` reads the rules, the directory and the pathways; these views authorise and render.

Who: the offer of a stored interview, the enumerator who made it (in an organisation where she is an enumerator)
and the coordinators of its organisation; the card, which holds no interview, any staff who interview or accompany
(enumerators, coordinators, caseworkers, legal advisors). A referral is never made here: the page links a
caseworker to the case intake, where her consents are recorded, and the referral is sent from the case.
"""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from amparo.access import (
    SURVEY_CARD_ROLES,
    SURVEY_OFFER_ROLES,
    get_survey_submission_for_offer,
    opens_cases_for,
    staff_view,
)
from amparo.core.responses import bad_request_page
from amparo.directory.selectors import municipalities, place_by_code

from . import referral_offer

MAX_CARD_NEEDS = 20


@staff_view(SURVEY_OFFER_ROLES)
@require_GET
def offer(request: HttpRequest, submission_uuid: UUID) -> HttpResponse:
    submission = get_survey_submission_for_offer(request.user, submission_uuid)
    the_offer = referral_offer.submission_offer(actor=request.user, submission=submission)
    return render(
        request,
        "surveys/offer/offer.html",
        {
            "offer": the_offer,
            "submission": submission,
            "can_open_case": opens_cases_for(request.user, submission.organization),
            "card_needs": [n.code for n in the_offer.named],
        },
    )


@staff_view(SURVEY_CARD_ROLES)
@require_GET
def card(request: HttpRequest) -> HttpResponse:
    """The card for a phone interview: chosen municipality and needs (GET, so it can be printed and bookmarked)."""
    rules = referral_offer.rules()
    pcode = request.GET.get("place", "").strip()
    needs = request.GET.getlist("need")
    if pcode and (len(pcode) > 16 or place_by_code(pcode) is None):
        return bad_request_page(request, _("We do not know this municipality. Choose one from the list."))
    if len(needs) > MAX_CARD_NEEDS or any(code not in rules.needs for code in needs):
        return bad_request_page(request, _("One of the needs is not on the list. Choose them from the list."))
    choices = [(code, referral_offer.label_of(code)) for code in rules.needs]
    the_offer = referral_offer.offer_for_card(pcode, needs) if (pcode or needs) else None
    return render(
        request,
        "surveys/offer/card.html",
        {"offer": the_offer, "places": municipalities(), "place": pcode, "needs": needs, "choices": choices},
    )
