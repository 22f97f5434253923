"""How django-axes names the account an attempt was made on: the e-mail, case-folded, however it arrived."""

from __future__ import annotations

from typing import Any


def attempted_account(request: Any, credentials: dict[str, Any] | None) -> str | None:
    value = (credentials or {}).get("username") or (credentials or {}).get("email")
    if value is None and request is not None and hasattr(request, "POST"):
        value = request.POST.get("email")
    return str(value).strip().lower()[:254] if value else None


def no_address(request: Any) -> None:
    """django-axes asks for the client's address to store with each attempt: Amparo gives none (DESIGN rule 8 in
    spirit: staff addresses reveal where people who protect survivors live and work, and lockout is per account)."""
    return None


def client_str_for_logs(username: Any, ip_address: Any, user_agent: Any, path_info: Any, request: Any) -> str:
    """What django-axes writes in its log lines about an attempt: not the account (an e-mail names a person), not
    the address or browser; the account and its attempts are in the sign-in logs staff can see (docs/security.md)."""
    return "{account: [not logged]}"
