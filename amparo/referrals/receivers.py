"""What referrals does when the safe channel withdraws her sharing consents (amparo/safechannel/signals.py). The
channel sits below referrals and does not import it; connected in ReferralsConfig.ready()."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from amparo.safechannel.models import Report
from amparo.safechannel.signals import sharing_consents_withdrawn

from .models import CONSENT_FOR, Referral


@receiver(sharing_consents_withdrawn, sender=Report, dispatch_uid="referrals.sharing_consents_withdrawn")
def erase_shared_copies(sender: type[Report], *, report: Report, kinds: set[str], **kwargs: Any) -> int:
    """Erase (not hide) what the report's referrals of those types copied; returns the number of copies erased."""
    types = [str(t) for t, kind in CONSENT_FOR.items() if kind in kinds]
    return Referral.objects.filter(report=report, service_type__in=types).exclude(shared_copy="").update(shared_copy="")
