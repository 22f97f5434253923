"""Demo data of the community-led monitoring (load_demo step 105): anonymous answers about services in Cúcuta, one
service flagged by repeated reports of discrimination (its alert told the demo focal point and coordinators), one
with enough answers for the public signal, one seen only by its organisation, one with too few to show anything.
Idempotent: nothing is added when answers exist."""

from __future__ import annotations

from itertools import cycle

from amparo.core.registry import DemoRun
from amparo.directory.models import ServiceAtLocation

from . import feedback_selectors as selectors
from .feedback_models import FeedbackAlert, ServiceFeedback
from .feedback_services import Answers, feedback_submit

GOOD = Answers(attended=True, respected=True, id_asked=False, turned_away=False, charged=False)
PARTLY = Answers(attended=True, respected=None, id_asked=False, charged=None)
TURNED_AWAY = Answers(attended=False, respected=False, turned_away=True, for_trans=True, id_asked=True)
CHARGED = Answers(attended=True, respected=False, charged=True, for_migrant=True)


def _sal(name_contains: str) -> ServiceAtLocation | None:
    return (
        ServiceAtLocation.objects.filter(
            place__pcode="CO54001", service__status="active", service__organization__name__icontains=name_contains
        )
        .select_related("service")
        .order_by("pk")
        .first()
    )


def _answer(sal: ServiceAtLocation, answers: list[Answers], months_back: list[int]) -> int:
    today = selectors.today()
    current = selectors.month_start(today)
    for answer, back in zip(answers, cycle(months_back), strict=False):
        feedback_submit(service_at_location=sal, visit_month=selectors.add_months(current, -back), answers=answer)
    return len(answers)


def load_feedback_demo(run: DemoRun) -> None:
    if ServiceFeedback.objects.exists():
        run.say("Service feedback: answers already there; leaving them as they are.")
        return
    flagged = _sal("Hospital Cúcuta")
    public = _sal("Colectiva de Trabajadoras Sexuales")
    organisation_only = _sal("Mujeres Diversas")
    few = _sal("Personería")
    total = 0
    if flagged is not None:
        # Earlier months: mixed answers (14 whole-month answers: the public signal shows). This month and the last
        # two: turned away, asked for an ID, charged, again and again: the alert.
        total += _answer(flagged, [GOOD, PARTLY, TURNED_AWAY, GOOD, CHARGED, GOOD, PARTLY] * 2, [3, 4, 5, 6, 7])
        total += _answer(flagged, [TURNED_AWAY, CHARGED, TURNED_AWAY], [0, 1, 2])
    if public is not None:
        total += _answer(public, [GOOD] * 10 + [PARTLY] * 3, [1, 2, 3, 4])
    if organisation_only is not None:
        total += _answer(organisation_only, [GOOD, GOOD, PARTLY, GOOD, GOOD, GOOD], [1, 2])
    if few is not None:
        total += _answer(few, [GOOD, PARTLY], [1])
    alerts = FeedbackAlert.objects.count()
    run.say(
        f"Service feedback: {total} anonymous answers, {alerts} service flagged (staff: /staff/campaigns/feedback/)."
    )
