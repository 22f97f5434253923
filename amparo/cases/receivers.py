"""What cases does when the safe channel records her consents (amparo/safechannel/signals.py). The channel sits
below cases and does not import it; connected in CasesConfig.ready()."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from amparo.safechannel.models import Report
from amparo.safechannel.signals import case_consent_withdrawn, sharing_consents_changed

from .models import Case
from .services import consent_record, consent_withdraw
from .vocab import ConsentKind, ConsentMethod


@receiver(case_consent_withdrawn, sender=Report, dispatch_uid="cases.case_consent_withdrawn")
def withdraw_services_consent(sender: type[Report], *, report: Report, **kwargs: Any) -> bool:
    """She withdrew her agreement to a case in the channel: her consent to receive services is withdrawn at once on
    the case opened from the report. Returns whether there is such a case."""
    case = Case.objects.filter(source_report=report).first()
    if case is not None:
        consent_withdraw(actor=None, case=case, kind=ConsentKind.SERVICES)
    return case is not None


@receiver(sharing_consents_changed, sender=Report, dispatch_uid="cases.sharing_consents_changed")
def follow_sharing_consents(
    sender: type[Report], *, report: Report, given: set[str], withdrawn: set[str], **kwargs: Any
) -> None:
    """The sharing consents she gave or withdrew in the channel are given ("through the safe channel") or withdrawn
    on the case opened from the report too."""
    case = Case.objects.filter(source_report=report).first()
    if case is None:
        return
    for kind in sorted(given):
        consent_record(actor=None, case=case, kind=kind, method=ConsentMethod.SAFE_CHANNEL)
    for kind in sorted(withdrawn):
        consent_withdraw(actor=None, case=case, kind=kind)
