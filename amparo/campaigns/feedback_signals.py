"""What the community-led monitoring tells the apps above it (the staff's day, `amparo.today`, which this app may
not import): `feedback_alert_raised` is sent with `sender=FeedbackAlert`, `alert` and `recipients` (a list of
users), inside the transaction that created the alert, so the notices commit or roll back with it."""

from __future__ import annotations

from django.dispatch import Signal

feedback_alert_raised = Signal()
