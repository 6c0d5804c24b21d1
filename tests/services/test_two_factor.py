"""The second-factor service without HTTP: enrol, verify once, recovery codes, turn off."""

from urllib.parse import quote

import pyotp
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import LoginSession, RecoveryCode, TotpSecret
from app.security import totp
from app.services import login_sessions as sessions, two_factor
from tests.support.app import PASSWORD, SECRET

NOW = 1_800_000_000.0


def revoked(session_id) -> bool:
    return db.session.scalar(select(LoginSession.revoked_at).where(LoginSession.id == session_id)) is not None


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app


def enrol(now=NOW):
    """Codes on for a new session; returns (secret, recovery codes, session id)."""
    started = sessions.create(sessions.BROWSER, "192.0.2.1", "test")
    secret = two_factor.begin(started.row.id, PASSWORD)
    codes = two_factor.confirm(started.row.id, pyotp.TOTP(secret).at(now), now=now)
    assert codes is not None
    return secret, codes, started.row.id


def test_enrolment_needs_the_pending_secret_of_the_same_session(ctx):
    first = sessions.create(sessions.BROWSER, None, None).row.id
    other = sessions.create(sessions.BROWSER, None, None).row.id
    assert two_factor.begin(first, "not the password at all") is None
    secret = two_factor.begin(first, PASSWORD)
    assert two_factor.pending_secret(first) == secret
    assert two_factor.pending_secret(other) is None
    assert not two_factor.required()
    assert two_factor.confirm(other, pyotp.TOTP(secret).at(NOW), now=NOW) is None
    wrong = "000000" if pyotp.TOTP(secret).at(NOW) != "000000" else "111111"
    assert two_factor.confirm(first, wrong, now=NOW) is None
    assert not two_factor.required()


def test_secret_is_stored_sealed(ctx):
    secret, _codes, _sid = enrol()
    stored = db.session.scalar(select(TotpSecret.sealed_secret))
    assert secret not in stored
    assert totp.SecretBox(SECRET).open(stored) == secret


def test_confirm_turns_codes_on_gives_ten_codes_and_signs_out_the_others(ctx):
    bystander = sessions.create(sessions.API, None, None)
    secret, codes, sid = enrol()
    assert two_factor.required()
    assert len(codes) == 10 and two_factor.status() == two_factor.Status(totp_on=True, recovery_left=10)
    assert revoked(bystander.row.id)
    assert not revoked(sid)
    stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert all(code not in "".join(stored) for code in codes)


def test_the_confirming_code_cannot_sign_in_again(ctx):
    secret, _codes, _sid = enrol()
    assert not two_factor.check_code(pyotp.TOTP(secret).at(NOW), now=NOW)


def test_a_code_is_accepted_once(ctx):
    secret, _codes, _sid = enrol()
    later = NOW + 30
    code = pyotp.TOTP(secret).at(later)
    assert two_factor.check_code(code, now=later)
    assert not two_factor.check_code(code, now=later)  # replay inside the window
    assert not two_factor.check_code(code, now=later + 25)


def test_skew_of_one_step_is_accepted_two_is_not(ctx):
    secret, _codes, _sid = enrol()
    now = NOW + 300
    assert not two_factor.check_code(pyotp.TOTP(secret).at(now - 60), now=now)
    assert two_factor.check_code(pyotp.TOTP(secret).at(now - 30), now=now)
    assert two_factor.check_code(pyotp.TOTP(secret).at(now + 30), now=now)
    assert not two_factor.check_code(pyotp.TOTP(secret).at(now + 60), now=now)


def test_recovery_code_works_once_in_any_format(ctx):
    _secret, codes, _sid = enrol()
    assert two_factor.check_code(codes[3].upper().replace("-", " "))
    assert not two_factor.check_code(codes[3])
    assert two_factor.status().recovery_left == 9


def test_regenerating_kills_the_old_codes(ctx):
    _secret, old, _sid = enrol()
    assert two_factor.regenerate_recovery_codes("wrong password here") is None
    new = two_factor.regenerate_recovery_codes(PASSWORD)
    assert len(new) == 10 and not set(new) & set(old)
    assert not two_factor.check_code(old[0])
    assert two_factor.check_code(new[0])


def test_disable_needs_the_password_and_a_code(ctx):
    secret, codes, _sid = enrol()
    assert not two_factor.disable("wrong password, long enough", codes[0])
    assert not two_factor.disable(PASSWORD, "000000" if pyotp.TOTP(secret).at(NOW + 30) != "000000" else "111111", now=NOW + 30)
    assert two_factor.required()
    assert two_factor.disable(PASSWORD, pyotp.TOTP(secret).at(NOW + 30), now=NOW + 30)
    assert not two_factor.required()


def test_disable_says_which_part_was_wrong_and_spends_no_code_after_a_wrong_password(ctx):
    _secret, codes, _sid = enrol()
    assert two_factor.disable_refused("wrong password, long enough", codes[0]) == "password"
    assert two_factor.disable_refused(PASSWORD, "not-a-recovery-code") == "code"
    assert two_factor.status().recovery_left == 10  # the code after the wrong password was not used up
    assert two_factor.disable_refused(PASSWORD, codes[0]) is None and not two_factor.required()


def test_nothing_verifies_while_codes_are_off(ctx):
    _secret, codes, _sid = enrol()
    assert two_factor.turn_off()
    assert not two_factor.required()
    assert not two_factor.check_code(codes[0])
    assert two_factor.regenerate_recovery_codes(PASSWORD) is None
    assert not two_factor.turn_off()


def test_secret_sealed_under_the_previous_key_still_verifies_and_is_resealed(make_app):
    old_key, new_key = "old-secret-key-" * 3, "new-secret-key-" * 3
    from app.services import master_password
    from tests.support.app import PASSWORD

    old_app = make_app(GATEHOUSE_SECRET_KEY=old_key)
    with old_app.app_context():
        master_password.set_first(PASSWORD)
        secret, _codes, _sid = enrol()
    new_app = make_app(GATEHOUSE_SECRET_KEY=new_key, GATEHOUSE_SECRET_KEY_PREVIOUS=old_key)
    with new_app.app_context():
        assert two_factor.check_code(pyotp.TOTP(secret).at(NOW + 60), now=NOW + 60)
        assert totp.SecretBox(new_key).open(db.session.scalar(select(TotpSecret.sealed_secret))) == secret
    lost = make_app(GATEHOUSE_SECRET_KEY=new_key + "x")
    with lost.app_context():
        assert not two_factor.check_code(pyotp.TOTP(secret).at(NOW + 120), now=NOW + 120)


def test_break_glass_turns_off_and_ends_every_session(ctx):
    _secret, _codes, sid = enrol()
    assert two_factor.disable_and_sign_out() == 1
    assert not two_factor.required()
    assert revoked(sid)


@pytest.mark.parametrize(("settings", "issuer"), [
    ({}, "Gatehouse"),
    ({"GATEHOUSE_PUBLIC_URL": "https://auth.example.org"}, "auth.example.org"),
    ({"GATEHOUSE_PUBLIC_URL": "https://auth.example.org", "GATEHOUSE_TOTP_ISSUER": "Home lab"}, "Home lab"),
])
def test_the_app_files_the_entry_as_issuer_and_remote_user(make_app, settings, issuer):
    app = make_app(GATEHOUSE_REMOTE_USER="alice", **settings)
    with app.app_context():
        uri = two_factor.provisioning_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    parsed = pyotp.parse_uri(uri)
    assert parsed.name == "alice" and parsed.issuer == issuer
    assert uri.startswith(f"otpauth://totp/{quote(issuer)}:alice?")
