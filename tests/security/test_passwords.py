import unicodedata

import bcrypt
import pytest

from app.security.passwords import (
    PREFIX, PasswordRejected, check_new_password, hash_password, needs_rehash, verify_password,
)

ROUNDS = 4


def test_roundtrip_and_salted():
    first, second = hash_password("correct horse battery", ROUNDS), hash_password("correct horse battery", ROUNDS)
    assert first.startswith(PREFIX + "$2b$04$") and first != second
    assert verify_password("correct horse battery", first)
    assert not verify_password("correct horse batterx", first)


@pytest.mark.parametrize("length", [72, 73, 100, 1024])
def test_long_passwords_are_never_truncated(length):
    password = "p" * (length - 1) + "!"
    stored = hash_password(password, ROUNDS)
    assert verify_password(password, stored)
    assert not verify_password(password[:72], stored) or length == 72
    assert not verify_password(password[:-1], stored)


def test_first_72_bytes_of_a_longer_multibyte_password_fail():
    password = "€" * 40  # 120 bytes
    stored = hash_password(password, ROUNDS)
    first_72_bytes = password.encode()[:72].decode()
    assert verify_password(password, stored) and not verify_password(first_72_bytes, stored)


@pytest.mark.parametrize("guess", ["x" * 10_000, "a\x00b", "\ud800", "", "\ufffd" * 20])
def test_malformed_guesses_fail_without_error(guess):
    stored = hash_password("a perfectly fine password", ROUNDS)
    assert verify_password(guess, stored) is False


def test_malformed_stored_hash_is_a_failure_not_an_error():
    assert verify_password("whatever password", PREFIX + "$2b$12$short") is False
    assert verify_password("whatever password", "plain-text") is False


def test_unicode_is_normalised_nfc_equals_nfd():
    password = "pässwörd 🔑 two  spaces"
    stored = hash_password(unicodedata.normalize("NFC", password), ROUNDS)
    assert verify_password(unicodedata.normalize("NFD", password), stored)


@pytest.mark.parametrize(
    "password, message",
    [
        ("fourteen chars", "at least 15"),
        ("a" * 1025, "at most 1024 bytes"),
        ("€" * 342, "at most 1024 bytes"),
        ("fifteen chars!!\x00", "NUL"),
        ("fifteen chars!!\ud800", "UTF-8"),
        ("fifteen chars!!\ufffd", "UTF-8"),
    ],
)
def test_new_password_rules(password, message):
    with pytest.raises(PasswordRejected, match=message):
        check_new_password(password)


def test_new_password_limits_accepted():
    assert check_new_password("x" * 15) == b"x" * 15
    assert len(check_new_password("a" * 1024)) == 1024


def test_confirmation_must_match():
    with pytest.raises(PasswordRejected, match="do not match"):
        check_new_password("a long enough password", "a long enough passwort")


def test_needs_rehash_compares_cost():
    stored = hash_password("a long enough password", ROUNDS)
    assert not needs_rehash(stored, ROUNDS)
    assert needs_rehash(stored, 5)


def test_prehash_feeds_bcrypt_at_most_44_bytes():
    # The value bcrypt sees is base64(HMAC-SHA256): fixed length, so bcrypt 5 never raises.
    stored = hash_password("y" * 1000, ROUNDS)
    inner = stored[len(PREFIX):].encode()
    assert bcrypt.checkpw(b"y" * 72, inner) is False
