"""What the safe channel tells the apps above it about her consents.

The channel imports neither cases nor referrals (DESIGN.md, "Architecture"): they receive these signals, connected
in their AppConfig.ready(), and act on what the channel just recorded. `Signal.send` calls every receiver at once,
in the sender's thread and therefore in its transaction, and lets a receiver's exception through, so a failure
rolls back the survivor's whole change, as when the channel called them directly. Every signal is sent with
`sender=Report` and the keyword arguments listed; receivers return what the channel's audit entry records.
"""

from __future__ import annotations

from django.dispatch import Signal

# She withdrew, in the channel, her agreement to a case from `report`. The receiver in cases withdraws her consent
# to receive services on the case opened from the report, if any, and returns whether there was such a case.
case_consent_withdrawn = Signal()

# She changed her sharing consents in the channel: `given` and `withdrawn`, sets of ConsentKind share_* codes
# (amparo.vocab.SHARING_KINDS), already recorded on `report`. The receiver in cases records the same on the case
# opened from the report, if any ("through the safe channel").
sharing_consents_changed = Signal()

# These sharing consents of `report` (`kinds`) were withdrawn just now, by her in the channel or on the case opened
# from the report. The receiver in referrals erases (not hides) the copies made by the report's referrals of those
# types and returns how many it erased.
sharing_consents_withdrawn = Signal()
