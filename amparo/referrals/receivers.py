"""What referrals does when the safe channel withdraws her sharing consents (amparo/safechannel/signals.py), and when
her case is transferred to another organisation (amparo/cases/signals.py). The channel and cases sit below
referrals and do not import it; connected in ReferralsConfig.ready()."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from amparo.cases.models import Case
from amparo.cases.signals import case_transferred
from amparo.safechannel.models import Report
from amparo.safechannel.signals import sharing_consents_withdrawn

from . import services
from .models import CONSENT_FOR, Referral


@receiver(sharing_consents_withdrawn, sender=Report, dispatch_uid="referrals.sharing_consents_withdrawn")
def erase_shared_copies(sender: type[Report], *, report: Report, kinds: set[str], **kwargs: Any) -> int:
    """Erase (not hide) what the report's referrals of those types copied; returns the number of copies erased."""
    types = [str(t) for t, kind in CONSENT_FOR.items() if kind in kinds]
    return Referral.objects.filter(report=report, service_type__in=types).exclude(shared_copy="").update(shared_copy="")


@receiver(case_transferred, sender=Case, dispatch_uid="referrals.case_transferred")
def cancel_for_transfer(
    sender: type[Case], *, case: Case, transfer: Any, actor: Any, **kwargs: Any
) -> list[dict[str, str]]:
    """Close the transferred case's open referrals (reason shown to both sides); returns what was open."""
    return services.referrals_cancel_for_transfer(actor=actor, case=case, transfer=transfer)
