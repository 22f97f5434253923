"""Demo set-up of the safe channel: the demo NGO receives reports from Colombia (demo only)."""

from __future__ import annotations

from amparo.accounts.demo import DEMO_PASSWORD
from amparo.accounts.models import Organization, User
from amparo.core.registry import DemoRun
from amparo.directory.models import Place

from .models import ChannelSettings, RecipientKey
from .services import channel_setup, recipient_key_unlock, recipients_of

DEMO_RECEIVER = "Red Violeta (demo)"


def load_demo_channel() -> str | None:
    """Set up the channel for the demo NGO; returns its recovery key the first time (None afterwards).

    Demo recipients get their key pairs now, from the printed demo password, so that a report filed before anyone
    signs in can be read at once (in production a key pair is made when the member accepts the invitation)."""
    organization = Organization.objects.filter(name=DEMO_RECEIVER).first()
    if organization is None:
        return None
    country = Place.objects.filter(pcode="CO", level=Place.Level.COUNTRY).first()
    if country is not None:
        organization.areas.add(country)
    recovery = None
    if not ChannelSettings.objects.filter(organization=organization).exists():
        coordinator = recipients_of(organization).order_by("pk").first()
        recovery = channel_setup(actor=coordinator or User(), organization=organization)
    for user in recipients_of(organization):
        if not RecipientKey.objects.filter(user=user).exists() and user.check_password(DEMO_PASSWORD):
            recipient_key_unlock(user, DEMO_PASSWORD)
    return recovery


def load_demo_safechannel(run: DemoRun) -> None:
    """load_demo's step: the channel of the demo NGO; its recovery key is printed at the end, the first time."""
    recovery_key = load_demo_channel()
    if recovery_key:
        run.say_at_end(
            f"\nSafe channel: {DEMO_RECEIVER} receives reports from Colombia. Its recovery key (demo only; shown "
            f"once, keep it offline in real use):\n  {recovery_key}"
        )
