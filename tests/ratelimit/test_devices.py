"""The global budget and device cookies (docs/security.md): the admin's browser is never locked out."""

from __future__ import annotations

from tests.support.app import CSRF_RE
from tests.support.ratelimit import PASSWORD, Browser, retry_after, with_clock


def fail_from_many(app, count: int, clock, start: int = 0):
    attacker = Browser(app)
    for n in range(start, start + count):
        response = attacker.login(ip=f"10.{n // 65536}.{n // 256 % 256}.{n % 256}")
        if response.status_code != 401:
            return response
        clock.advance(1)
    return None


def test_hundred_and_first_failure_from_a_new_address_within_the_hour_is_refused(app):
    clock = with_clock(app)
    assert fail_from_many(app, 100, clock) is None
    refused = Browser(app).login(PASSWORD, ip="192.0.2.200")  # a fresh address, even the right password
    assert refused.status_code == 429
    assert retry_after(refused) == 3600 - 100  # until the oldest failure (at t=0; now t=100) leaves
    clock.advance(retry_after(refused))
    assert Browser(app).login(PASSWORD, ip="192.0.2.200").status_code == 303


def test_global_budget_counts_failures_not_requests(make_app):
    app = make_app(GATEHOUSE_LOGIN_GLOBAL=(3, 60))
    with app.app_context():
        from app.services import master_password

        master_password.set_first(PASSWORD)
    clock = with_clock(app)
    assert fail_from_many(app, 3, clock) is None
    for n in range(5):  # refused attempts do not extend the window
        assert Browser(app).login(ip=f"192.0.2.{n}").status_code == 429
    clock.advance(60 - 3 + 1)
    assert fail_from_many(app, 1, clock, start=50) is None


def test_admin_device_gets_in_during_a_block_and_a_flood(app):
    clock = with_clock(app)
    admin = Browser(app)
    assert admin.login(PASSWORD, ip="203.0.113.9").status_code == 303
    assert admin.device_cookie() is not None
    admin.client.post("/logout", data={"csrf_token": admin.token})
    assert fail_from_many(app, 100, clock) is None  # global budget spent by an attacker
    attacker = Browser(app)
    attacker.login(ip="203.0.113.9")  # and the admin's own address blocked (shared NAT)
    assert attacker.login(PASSWORD, ip="203.0.113.9").status_code == 429  # unknown client: refused
    assert admin.login(PASSWORD, ip="203.0.113.9").status_code == 303  # trusted device: let in


def test_device_failures_count_against_the_device_not_the_address(app):
    clock = with_clock(app)
    admin = Browser(app)
    admin.login(PASSWORD, ip="203.0.113.9")
    assert admin.login(ip="203.0.113.9").status_code in (303, 401)  # signed in already: redirected
    admin.client.delete_cookie("gatehouse_session")
    assert admin.login(ip="203.0.113.9").status_code == 401
    assert retry_after(admin.login(PASSWORD, ip="203.0.113.9")) == 1  # the device waits its own backoff
    clock.advance(1)
    assert Browser(app).login(ip="203.0.113.9").status_code == 401  # the address was never blocked


def test_a_device_that_fails_too_often_loses_its_exemption_until_its_block_ends(app):
    clock = with_clock(app)
    admin = Browser(app)
    admin.login(PASSWORD, ip="203.0.113.9")
    admin.client.delete_cookie("gatehouse_session")
    for _ in range(10):
        assert admin.login(ip="203.0.113.9").status_code == 401
        clock.advance(5)
    # Banned device = unknown client: the address rules apply (this address is still clean) ...
    assert admin.login(ip="203.0.113.9").status_code == 401
    assert admin.login(PASSWORD, ip="203.0.113.9").status_code == 429  # ... and now blocks it
    clock.advance(900)
    assert admin.login(PASSWORD, ip="198.51.100.1").status_code == 303


def test_forged_or_stale_device_cookies_are_ignored(app):
    with_clock(app)
    admin = Browser(app)
    admin.login(PASSWORD, ip="203.0.113.9")
    good = admin.device_cookie().value
    admin.client.delete_cookie("gatehouse_session")
    forged = Browser(app)
    forged.client.set_cookie("gatehouse_device", good[:-2] + ("AA" if not good.endswith("AA") else "BB"))
    forged.login(ip="203.0.113.9")
    assert forged.login(PASSWORD, ip="203.0.113.9").status_code == 429
    with app.app_context():
        from app.services import master_password

        master_password.replace("another long master password")  # new epoch: old devices retired
    assert admin.login("another long master password", ip="203.0.113.9").status_code == 429


def test_device_cookie_attributes(app):
    response = Browser(app).login(PASSWORD)
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("gatehouse_device="))
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Path=/" in header
    assert "Max-Age=15552000" in header


def test_secure_cookies_use_the_host_prefix(make_app):
    app = make_app(GATEHOUSE_COOKIE_SECURE=True)
    with app.app_context():
        from app.services import master_password

        master_password.set_first(PASSWORD)
    client = app.test_client()
    page = client.get("/login", base_url="https://localhost").get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)
    response = client.post("/login", base_url="https://localhost", headers={"Referer": "https://localhost/login"},
                           data={"csrf_token": token, "password": PASSWORD})
    assert response.status_code == 303
    header = next(h for h in response.headers.getlist("Set-Cookie") if "gatehouse_device=" in h)
    assert header.startswith("__Host-gatehouse_device=") and "Secure" in header


PREVIOUS_KEY = "an-old-secret-key-that-leaked-0123456789"


def test_only_issued_devices_count_even_with_a_leaked_previous_key(make_app):
    """A cookie signed with the (leaked) previous key but never issued is no device; an issued one is."""
    from app.ratelimit.devices import DeviceCookies
    from app.services import master_password

    app = make_app(GATEHOUSE_SECRET_KEY_PREVIOUS=PREVIOUS_KEY, GATEHOUSE_LOGIN_GLOBAL=(1, 3600))
    with app.app_context():
        master_password.set_first(PASSWORD)
        epoch = master_password.epoch()
    clock = with_clock(app)
    admin = Browser(app)
    assert admin.login(PASSWORD, ip="203.0.113.9").status_code == 303  # issued: stored (hashed)
    admin.client.delete_cookie("gatehouse_session")
    assert fail_from_many(app, 1, clock) is None  # the global budget (1) is spent
    for n in range(3):  # forged "devices", each with a fresh nonce: all judged as strangers
        forger = Browser(app)
        forger.client.set_cookie("gatehouse_device", DeviceCookies(PREVIOUS_KEY).issue(epoch)[1])
        assert forger.login(ip=f"198.51.100.{n}").status_code == 429
    assert admin.login(PASSWORD, ip="203.0.113.9").status_code == 303  # the issued device still gets in
