"""`gatehouse two-factor status|disable`: the host's view and its break-glass switch."""

import pytest

from app.services import login_sessions, two_factor
from tests.support.two_factor import enable_codes


def test_status_off(runner):
    result = runner.invoke(args=["two-factor", "status"])
    assert result.exit_code == 0 and "off" in result.output


def test_status_on_counts_recovery_codes(app, runner):
    _secret, codes = enable_codes(app)
    with app.app_context():
        assert two_factor.check_code(codes[0])
    result = runner.invoke(args=["two-factor", "status"])
    assert result.exit_code == 0 and "on" in result.output and "Recovery codes left: 9" in result.output


def test_disable_turns_off_and_signs_out_every_session(app, runner):
    enable_codes(app)
    with app.app_context():
        started = login_sessions.create(login_sessions.BROWSER, None, None)
    result = runner.invoke(args=["two-factor", "disable"], input="y\n")
    assert result.exit_code == 0, result.output
    assert "This will turn off authenticator codes, and sign out every session" in result.output
    assert result.output.rstrip().endswith("Two-factor sign-in is off; 0 passkeys removed; 1 session signed out.")
    with app.app_context():
        assert not two_factor.required()
        assert login_sessions.validate(started.token) is None
    again = runner.invoke(args=["two-factor", "disable"])
    assert again.exit_code == 0 and "already off" in again.output


@pytest.mark.parametrize("answer", ["n\n", "\n", "no\n"])
def test_disable_asks_and_no_changes_nothing(app, runner, answer):
    enable_codes(app)
    with app.app_context():
        started = login_sessions.create(login_sessions.BROWSER, None, None)
    result = runner.invoke(args=["two-factor", "disable"], input=answer)
    assert result.exit_code == 1 and "[y/N]" in result.output and "Nothing changed." in result.output
    with app.app_context():
        assert two_factor.required() and login_sessions.validate(started.token) is not None


def test_disable_with_yes_does_not_ask(app, runner):
    enable_codes(app)
    result = runner.invoke(args=["two-factor", "disable", "--yes"], input="n\n")
    assert result.exit_code == 0 and "[y/N]" not in result.output and "off;" in result.output
    with app.app_context():
        assert not two_factor.required()


def test_status_says_when_a_replaced_secret_key_cannot_read_the_codes(app, make_app):
    enable_codes(app)
    from tests.support.two_factor import with_replaced_key

    result = with_replaced_key(make_app).test_cli_runner().invoke(args=["two-factor", "status"])
    assert result.exit_code == 0
    assert "cannot be read" in result.output
    assert "GATEHOUSE_SECRET_KEY_PREVIOUS" in result.output and "gatehouse two-factor disable" in result.output
    assert "cannot be read" not in app.test_cli_runner().invoke(args=["two-factor", "status"]).output
