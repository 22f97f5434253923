from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def public(request: HttpRequest) -> dict[str, object]:
    return {
        "QUICK_EXIT_URL": settings.QUICK_EXIT_URL,
        # Staff pages warn before the session ends without activity (core/session.html, core/static/core/session.js).
        "session_seconds": settings.SESSION_COOKIE_AGE,
        "session_warn_minutes": max(1, min(300, settings.SESSION_COOKIE_AGE // 2) // 60),
    }
