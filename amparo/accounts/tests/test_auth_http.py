"""Sign-in, 2FA, lockout, CSRF and password reset, through real HTTP against a live server."""

from __future__ import annotations

import time

import pytest
from django.core import mail
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from amparo.accounts.models import Membership, Organization, User
from amparo.accounts.roles import Role
from amparo.audit.models import AuditEntry

from .http import Browser, Response

PASSWORD = "correct horse battery staple 42"
pytestmark = pytest.mark.django_db(transaction=True)


def make_user(email: str, role: str | None = Role.CASEWORKER, org_name: str = "Red Violeta (demo)") -> User:
    user = User.objects.create_user(username=email, email=email, password=PASSWORD)
    if role:
        organization, _ = Organization.objects.get_or_create(name=org_name)
        Membership.objects.create(user=user, organization=organization, role=role)
    return user


def code_for(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


def password_step(browser: Browser, email: str, password: str = PASSWORD) -> Response:
    return browser.submit("/staff/login/", {"email": email, "password": password})


def test_enrolment_then_verified_access(live_server) -> None:
    make_user("ana@example.org")
    browser = Browser(live_server.url)
    assert browser.get("/staff/").status == 302  # anonymous: to the login page
    response = password_step(browser, "ana@example.org")
    assert response.status == 302 and response.location.endswith("/staff/2fa/setup/")
    # Staff pages stay closed until the second factor is set up.
    blocked = browser.get("/staff/")
    assert blocked.status == 302 and "/staff/2fa/setup/" in blocked.location
    setup = browser.get("/staff/2fa/setup/")
    assert setup.status == 200 and "<svg" in setup.text
    device = TOTPDevice.objects.get(user__email="ana@example.org", confirmed=False)
    wrong = browser.submit("/staff/2fa/setup/", {"token": "000000" if code_for(device) != "000000" else "111111"})
    assert wrong.status == 200 and 'role="alert"' in wrong.text
    time.sleep(1.1)  # django-otp's throttle after a wrong code
    done = browser.submit("/staff/2fa/setup/", {"token": code_for(device)})
    assert done.status == 200 and done.text.count("<code>") == 10  # recovery codes, shown once
    home = browser.get("/staff/")
    assert home.status == 200 and "Red Violeta (demo)" in home.text
    assert AuditEntry.objects.filter(action="2fa.enrol", actor_label="ana@example.org").exists()


def test_login_with_totp_refuses_forged_and_replayed_codes(live_server) -> None:
    user = make_user("bea@example.org")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    browser = Browser(live_server.url)
    response = password_step(browser, "bea@example.org")
    assert response.status == 302 and "/staff/login/verify/" in response.location
    assert browser.get("/staff/").status == 302  # password alone opens nothing
    forged = browser.submit("/staff/login/verify/", {"token": "123456" if code_for(device) != "123456" else "654321"})
    assert forged.status == 200 and 'role="alert"' in forged.text
    assert browser.get("/staff/").status == 302
    # django-otp throttles after a failure: wait out the 1-second penalty, as a person would.
    time.sleep(1.1)
    code = code_for(device)
    ok = browser.submit("/staff/login/verify/", {"token": code})
    assert ok.status == 302
    assert browser.get("/staff/").status == 200
    assert AuditEntry.objects.filter(action="auth.login", actor_label="bea@example.org").exists()

    # The same code, replayed in another session, is refused.
    other = Browser(live_server.url)
    password_step(other, "bea@example.org")
    replay = other.submit("/staff/login/verify/", {"token": code})
    assert replay.status == 200 and 'role="alert"' in replay.text
    assert other.get("/staff/").status == 302


def test_recovery_code_works_once(live_server) -> None:
    from amparo.accounts.services import recovery_codes_issue

    user = make_user("cami@example.org")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    codes = recovery_codes_issue(user)
    first = Browser(live_server.url)
    password_step(first, "cami@example.org")
    assert first.submit("/staff/login/verify/", {"token": codes[0]}).status == 302
    assert first.get("/staff/").status == 200
    second = Browser(live_server.url)
    password_step(second, "cami@example.org")
    again = second.submit("/staff/login/verify/", {"token": codes[0]})
    assert again.status == 200 and 'role="alert"' in again.text


def test_lockout_after_five_failures_per_account(live_server) -> None:
    make_user("dora@example.org")
    make_user("eva@example.org")
    attacker = Browser(live_server.url)
    for _ in range(4):
        failed = password_step(attacker, "dora@example.org", "wrong password")
        assert failed.status == 200 and 'role="alert"' in failed.text
    fifth = password_step(attacker, "Dora@Example.org", "wrong password")  # same account, other spelling
    assert fifth.status == 429  # the fifth failure locks the account and says so
    locked = password_step(attacker, "dora@example.org")  # even the right password is refused now
    assert locked.status == 429
    assert "locked" in locked.text.lower() or "bloqueada" in locked.text.lower()
    owner = Browser(live_server.url)
    assert password_step(owner, "dora@example.org").status == 429  # counted per account, not per browser
    colleague = Browser(live_server.url)
    assert password_step(colleague, "eva@example.org").status == 302  # other accounts are unaffected


def test_csrf_is_required(live_server) -> None:
    make_user("fia@example.org")
    browser = Browser(live_server.url)
    browser.get("/staff/login/")
    response = browser.request("/staff/login/", {"email": "fia@example.org", "password": PASSWORD})
    assert response.status == 403


def test_password_reset_does_not_reveal_accounts(live_server) -> None:
    make_user("gala@example.org")
    known = Browser(live_server.url).submit("/staff/password-reset/", {"email": "gala@example.org"})
    unknown = Browser(live_server.url).submit("/staff/password-reset/", {"email": "nobody@example.org"})
    assert known.status == unknown.status == 302
    assert known.location == unknown.location
    assert [m.to for m in mail.outbox] == [["gala@example.org"]]
    assert "gala@example.org" not in known.location


def test_invitation_flow(live_server) -> None:
    coordinator = make_user("hilda@example.org", Role.COORDINATOR, "Casa Amparo (demo)")
    device = TOTPDevice.objects.create(user=coordinator, name="phone", confirmed=True)
    organization = Organization.objects.get(name="Casa Amparo (demo)")
    browser = Browser(live_server.url)
    password_step(browser, "hilda@example.org")
    browser.submit("/staff/login/verify/", {"token": code_for(device)})
    members = f"/staff/orgs/{organization.uuid}/members/"
    sent = browser.submit(members, {"email": "Ines@Example.org", "role": Role.LEGAL_ADVISOR})
    assert sent.status == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ines@example.org"]
    link = next(line for line in mail.outbox[0].body.splitlines() if "/staff/invitations/" in line).strip()
    token = link.rstrip("/").rsplit("/", 1)[-1]
    assert token not in "".join(AuditEntry.objects.values_list("detail", flat=True).iterator().__str__())

    newcomer = Browser(live_server.url)
    opened = newcomer.get(link)
    assert opened.status == 302 and opened.location == "/staff/invitations/accept/"  # token leaves the URL
    link = "/staff/invitations/accept/"
    mismatch = newcomer.submit(link, {"display_name": "Inés", "password1": PASSWORD, "password2": "different"})
    assert mismatch.status == 200 and 'role="alert"' in mismatch.text
    created = newcomer.submit(link, {"display_name": "Inés", "password1": PASSWORD, "password2": PASSWORD})
    assert created.status == 302 and created.location.endswith("/staff/2fa/setup/")
    user = User.objects.get(email="ines@example.org")
    assert user.memberships.get().role == Role.LEGAL_ADVISOR
    assert Browser(live_server.url).get(f"/staff/invitations/{token}/").status == 404  # used once


# --- Security findings (issue 10): session fixation across the second factor, sign-out, reset flood, sign-in logs --


def _session_cookie(browser: Browser) -> str:
    return next(str(c.value) for c in browser.cookies if c.name == "sessionid")


def test_session_key_rotates_when_the_second_factor_is_verified(live_server) -> None:
    """A session cookie captured before the second factor (a shared computer, a proxy log) is worth nothing after
    it: the key changes at verification, and the old one opens nothing."""
    user = make_user("jade@example.org")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    browser = Browser(live_server.url)
    password_step(browser, "jade@example.org")
    before = _session_cookie(browser)
    assert browser.submit("/staff/login/verify/", {"token": code_for(device)}).status == 302
    after = _session_cookie(browser)
    assert after != before
    assert browser.get("/staff/").status == 200
    response = Browser(live_server.url).request("/staff/", headers={"Cookie": f"sessionid={before}"})
    assert response.status == 302 and "/staff/login/" in response.location


def test_sign_out_asks_the_browser_to_forget_the_staff_site(live_server) -> None:
    user = make_user("kira@example.org")
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    browser = Browser(live_server.url)
    password_step(browser, "kira@example.org")
    browser.submit("/staff/login/verify/", {"token": code_for(device)})
    home = browser.get("/staff/")
    assert "no-store" in home.headers["Cache-Control"] and "private" in home.headers["Cache-Control"]
    import re

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', home.text)
    assert token, "the staff pages carry a sign-out form"
    response = browser.request("/staff/logout/", {"csrfmiddlewaretoken": token.group(1)})
    assert response.status == 302
    assert response.headers["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert browser.get("/staff/").status == 302


def test_password_reset_emails_are_limited_per_account_and_overall(live_server, settings) -> None:
    """Asking again and again sends at most PASSWORD_RESET_LIMITS e-mails to one account in an hour, and the page
    answers the same each time, whether a message went out or not."""
    from django.core.cache import cache

    cache.clear()  # counters of earlier tests in this process
    settings.PASSWORD_RESET_LIMITS = (3, 5, 3600)
    make_user("luna@example.org")
    make_user("mia@example.org")
    answers = {
        Browser(live_server.url).submit("/staff/password-reset/", {"email": "luna@example.org"}).location
        for _ in range(6)
    }
    assert len(answers) == 1
    assert [m.to for m in mail.outbox] == [["luna@example.org"]] * 3
    for _ in range(4):
        Browser(live_server.url).submit("/staff/password-reset/", {"email": "mia@example.org"})
    assert len(mail.outbox) == 5  # the overall cap: 3 for luna, 2 for mia


def test_sign_in_logs_keep_no_address_and_are_purged(live_server) -> None:
    from datetime import timedelta

    from axes.models import AccessAttempt, AccessLog
    from django.core.management import call_command
    from django.utils import timezone

    make_user("nora@example.org")
    make_user("olga@example.org")
    password_step(Browser(live_server.url), "olga@example.org", "wrong password")  # a failure counter
    password_step(Browser(live_server.url), "nora@example.org")  # a sign-in
    assert AccessLog.objects.exists() and AccessAttempt.objects.exists()
    assert not AccessLog.objects.exclude(ip_address=None).exists()
    assert not AccessAttempt.objects.exclude(ip_address=None).exists()
    old = timezone.now() - timedelta(days=31)
    AccessLog.objects.update(attempt_time=old)
    AccessAttempt.objects.update(attempt_time=old)
    password_step(Browser(live_server.url), "nora@example.org")  # a recent sign-in stays
    call_command("purge_signin_logs", verbosity=0)
    assert AccessLog.objects.count() == 1 and not AccessAttempt.objects.exists()
    assert AuditEntry.objects.filter(action="auth.signin_logs.purge").exists()
