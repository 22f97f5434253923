from __future__ import annotations

from django import template

from amparo.audit.labels import action_label as _action_label

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    """An audit action in words (`audit.labels.ACTION_LABELS`), or its code when it has none."""
    return _action_label(action)
