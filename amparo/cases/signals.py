"""What cases tells the apps above it. Cases does not import referrals (referrals imports cases: the layers run one
way, docs/architecture.md); referrals receives this signal, connected in its AppConfig.ready(). `Signal.send` calls
every receiver at once, in the sender's transaction, and lets a receiver's exception through, so the whole change
commits or rolls back together. Sent with `sender=Case`.
"""

from __future__ import annotations

from django.dispatch import Signal

# The receiving organisation accepted `transfer` of `case` (the sending organisation's case, about to be closed),
# answered by `actor`. Her consents to share stay with the sending organisation, so nothing sent under them may stay
# open: the receiver in referrals closes the case's open referrals (cancelled, with the reason shown to both sides,
# each audited in the sending organisation's trail) and returns, for each, what the receiving organisation is told:
# a dict of plain values (type, service, its organisation, status before, date sent), no personal data.
case_transferred = Signal()
