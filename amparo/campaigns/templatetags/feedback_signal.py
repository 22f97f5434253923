"""`{% service_feedback service sal %}`: the public non-discrimination signal and the link to the anonymous form,
for the directory's service page. The directory's Python never imports campaigns (an import contract); its template
loads this tag library, so the page shows the signal without the directory knowing where it comes from."""

from __future__ import annotations

from typing import Any

from django import template

from amparo.campaigns.feedback_selectors import public_signal

register = template.Library()


@register.inclusion_tag("campaigns/feedback/_signal.html")
def service_feedback(service: Any, sal: Any) -> dict[str, Any]:
    return {"signal": public_signal(service), "sal": sal}
