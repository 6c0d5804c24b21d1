"""The passkey ceremonies' server side, with answers from a software authenticator."""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest

from app.models import utcnow
from app.services import passkeys
from app.services.passkeys import Challenge, PasskeyRejected, RelyingParty
from tests.support.passkeys import SoftAuthenticator

RP = RelyingParty(id="auth.gatehouse.test", origin="https://auth.gatehouse.test")


def fresh(offset: float = 0) -> Challenge:
    return Challenge(os.urandom(32), utcnow() + timedelta(seconds=offset))


def offered(offset: float = 0) -> Challenge:
    """A registration challenge as the options step hands it out (its one-time ticket stored); in an app context."""
    challenge = fresh(offset)
    passkeys.registration_options(RP, challenge)
    return challenge


@pytest.fixture
def key(app):
    authenticator = SoftAuthenticator(RP.id, RP.origin)
    with app.app_context():
        challenge = offered(-1)
        passkeys.register(RP, challenge, authenticator.create(challenge.value), "Laptop")
    return authenticator


def test_registration_options_require_a_discoverable_verified_credential(app):
    with app.app_context():
        options = json.loads(passkeys.registration_options(RP, fresh()))
    assert options["rp"]["id"] == RP.id
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"


def test_registered_passkey_is_listed_and_excluded_from_a_second_registration(app, key):
    with app.app_context():
        [row] = passkeys.listing()
        assert row.name == "Laptop" and row.last_used_at is None
        options = json.loads(passkeys.registration_options(RP, fresh()))
        assert [c["id"] for c in options["excludeCredentials"]] == [row.credential_id]
        challenge = offered()
        with pytest.raises(PasskeyRejected, match="already registered"):
            passkeys.register(RP, challenge, key.create(challenge.value), "Again")


def test_a_registration_challenge_registers_one_passkey_only(app):
    """Single-use on the server (issue 22: on 0702507 only the browser's cookie forgot it, and a copy
    of the cookie registered more passkeys for 120 s without the password)."""
    first, second = SoftAuthenticator(RP.id, RP.origin), SoftAuthenticator(RP.id, RP.origin)
    with app.app_context():
        challenge = offered()
        passkeys.register(RP, challenge, first.create(challenge.value), "Laptop")
        with pytest.raises(PasskeyRejected, match="used already"):
            passkeys.register(RP, challenge, second.create(challenge.value), "Phone")
        unoffered = fresh()  # never handed out by the options step
        with pytest.raises(PasskeyRejected, match="used already"):
            passkeys.register(RP, unoffered, second.create(unoffered.value), "Phone")
        assert passkeys.count() == 1


@pytest.mark.parametrize("name", ["", "   ", "x" * 65, "bad\x00name"])
def test_registration_refuses_bad_names(app, name):
    authenticator = SoftAuthenticator(RP.id, RP.origin)
    with app.app_context():
        challenge = offered()
        with pytest.raises(PasskeyRejected, match="name"):
            passkeys.register(RP, challenge, authenticator.create(challenge.value), name)
        assert passkeys.count() == 0


@pytest.mark.parametrize("tamper", ["origin", "rp", "challenge", "no_uv", "expired"])
def test_registration_refuses_a_wrong_answer(app, tamper):
    authenticator = SoftAuthenticator(RP.id, RP.origin)
    with app.app_context():
        challenge = offered(-CHALLENGE_OLD if tamper == "expired" else 0)
        answer = authenticator.create(
            os.urandom(32) if tamper == "challenge" else challenge.value, uv=tamper != "no_uv",
            origin="https://evil.test" if tamper == "origin" else None, rp_id="evil.test" if tamper == "rp" else None)
        with pytest.raises(PasskeyRejected):
            passkeys.register(RP, challenge, answer, "Laptop")
        assert passkeys.count() == 0


CHALLENGE_OLD = passkeys.CHALLENGE_SECONDS + 1


def test_assertion_signs_in_and_records_use(app, key):
    with app.app_context():
        challenge = fresh()
        row = passkeys.authenticate(RP, challenge, key.get(challenge.value))
        assert row is not None and row.name == "Laptop"
        [stored] = passkeys.listing()
        assert stored.last_used_at is not None and stored.sign_count == 1


@pytest.mark.parametrize("tamper", ["origin", "rp", "challenge", "no_uv", "expired", "garbage", "unknown"])
def test_bad_assertions_are_refused(app, key, tamper):
    challenge = fresh(-CHALLENGE_OLD if tamper == "expired" else 0)
    if tamper == "garbage":
        answer = '{"rawId": 5}'
    elif tamper == "unknown":
        answer = SoftAuthenticator(RP.id, RP.origin).get(challenge.value)
    else:
        answer = key.get(os.urandom(32) if tamper == "challenge" else challenge.value, uv=tamper != "no_uv",
                         origin="https://evil.test" if tamper == "origin" else None,
                         rp_id="evil.test" if tamper == "rp" else None)
    with app.app_context():
        assert passkeys.authenticate(RP, challenge, answer) is None
        assert passkeys.listing()[0].last_used_at is None


def test_a_challenge_cannot_be_answered_twice(app, key):
    with app.app_context():
        challenge = fresh()
        answer = key.get(challenge.value)
        assert passkeys.authenticate(RP, challenge, answer) is not None
        assert passkeys.authenticate(RP, challenge, answer) is None  # replayed, even with a counter of 0 below
        older = fresh(-5)
        assert passkeys.authenticate(RP, older, key.get(older.value)) is None  # issued before the last one used


def test_a_counter_that_goes_back_is_refused(app, key):
    with app.app_context():
        first = fresh(-2)
        assert passkeys.authenticate(RP, first, key.get(first.value, count=7)) is not None
        second = fresh()
        assert passkeys.authenticate(RP, second, key.get(second.value, count=3)) is None


def test_delete_one_and_all(app, key):
    with app.app_context():
        [row] = passkeys.listing()
        assert passkeys.delete_one(row.id) is True and passkeys.delete_one(row.id) is False
        challenge = fresh()
        assert passkeys.authenticate(RP, challenge, key.get(challenge.value)) is None
        challenge = offered()
        passkeys.register(RP, challenge, key.create(challenge.value), "Back")
        assert passkeys.delete_all() == 1 and passkeys.count() == 0
