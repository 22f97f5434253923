"""Where a signed-in recipient's private key lives between requests.

At sign-in the password unlocks the private key (services.recipient_key_unlock). It is then wrapped under a fresh
random key: the wrapped key goes into the server-side session, the wrapping key into an HttpOnly cookie limited to
/staff/. A copy of the session table, or of the cookie, alone opens nothing; signing out flushes the session.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from amparo.accounts.signals import password_verified

from . import crypto

SESSION_KEY = "safechannel:wrapped_private_key"
COOKIE = "amparo_keyring"
COOKIE_PATH = "/staff/"


@receiver(password_verified, dispatch_uid="safechannel-unlock")
def unlock_on_sign_in(sender: Any, request: HttpRequest, user: Any, password: str, **kwargs: Any) -> None:
    from .services import recipient_key_unlock

    private = recipient_key_unlock(user, password)
    wrapping = crypto.new_key()
    request.session[SESSION_KEY] = base64.b64encode(crypto.encrypt(wrapping, private)).decode()
    request.safechannel_keyring = base64.urlsafe_b64encode(wrapping).decode()  # type: ignore[attr-defined]


def private_key(request: HttpRequest) -> bytes | None:
    """The signed-in recipient's private key, or None (signed in before the channel existed, or the cookie is
    gone): they must sign in again."""
    wrapped = request.session.get(SESSION_KEY)
    wrapping = request.COOKIES.get(COOKIE)
    if not wrapped or not wrapping:
        return None
    try:
        return crypto.decrypt(base64.urlsafe_b64decode(wrapping), base64.b64decode(wrapped))
    except (crypto.CryptoError, ValueError):
        return None


class KeyringCookieMiddleware:
    """Sets the wrapping-key cookie after sign-in, and removes it once the session is gone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        wrapping = getattr(request, "safechannel_keyring", None)
        if wrapping:
            response.set_cookie(
                COOKIE,
                wrapping,
                path=COOKIE_PATH,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        elif COOKIE in request.COOKIES and not request.user.is_authenticated:
            response.delete_cookie(COOKIE, path=COOKIE_PATH, samesite="Lax")
        return response
