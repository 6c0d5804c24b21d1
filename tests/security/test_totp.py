"""The pure second-factor primitives: codes, skew, replay, sealing, recovery codes."""

import pyotp
import pytest

from app.security import totp

NOW = 1_800_000_000.0  # a fixed moment: step 60_000_000


def test_secret_is_160_bits_of_base32_and_works_in_pyotp():
    secret = totp.new_secret()
    assert len(secret) == 32 and set(secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert totp.code_at(secret, totp.time_step(NOW)) == pyotp.TOTP(secret).at(NOW)


def test_provisioning_uri_names_the_parameters_apps_need():
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "admin", "Gatehouse")
    assert uri.startswith("otpauth://totp/Gatehouse:admin?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    assert "issuer=Gatehouse" in uri


@pytest.mark.parametrize("offset, accepted", [(-60, False), (-30, True), (0, True), (30, True), (60, False)])
def test_one_step_of_skew_either_way(offset, accepted):
    secret = totp.new_secret()
    code = pyotp.TOTP(secret).at(NOW + offset)
    step = totp.matching_step(secret, code, NOW, None)
    assert (step == totp.time_step(NOW + offset)) if accepted else step is None


def test_a_step_at_or_before_the_last_accepted_never_matches():
    secret = totp.new_secret()
    step = totp.time_step(NOW)
    code = totp.code_at(secret, step)
    assert totp.matching_step(secret, code, NOW, step - 1) == step
    assert totp.matching_step(secret, code, NOW, step) is None  # replay
    older = totp.code_at(secret, step - 1)
    assert totp.matching_step(secret, older, NOW, step) is None  # an older code after a newer one


@pytest.mark.parametrize("typed", ["123 456", "123-456", " 123456 "])
def test_spaces_and_dashes_are_ignored(typed):
    assert totp.normalise_code(typed) == "123456"


@pytest.mark.parametrize("bad", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦", "1" * 10_000])
def test_junk_is_no_code(bad):
    assert totp.matching_step(totp.new_secret(), bad, NOW, None) is None


def test_sealed_secret_is_not_the_secret_and_opens_again():
    box = totp.SecretBox("k" * 40)
    sealed = box.seal("JBSWY3DPEHPK3PXP")
    assert "JBSWY3DPEHPK3PXP" not in sealed
    assert box.open(sealed) == "JBSWY3DPEHPK3PXP"
    assert box.is_current(sealed)


def test_previous_key_still_opens_after_rotation_and_a_foreign_key_does_not():
    old = totp.SecretBox("old-key-" * 5).seal("SECRET")
    rotated = totp.SecretBox("new-key-" * 5, ["old-key-" * 5])
    assert rotated.open(old) == "SECRET"
    assert not rotated.is_current(old)
    assert totp.SecretBox("new-key-" * 5).open(old) is None
    assert totp.SecretBox("new-key-" * 5).open("not a token") is None


def test_recovery_codes_are_unique_readable_and_hash_ignoring_format():
    codes = totp.new_recovery_codes()
    assert len(codes) == 10 and len(set(codes)) == 10
    code = codes[0]
    assert len(code) == 19 and code.count("-") == 3
    hashed = totp.hash_recovery_code(code)
    assert len(hashed) == 64 and code.replace("-", "") not in hashed
    assert totp.hash_recovery_code(code.upper().replace("-", " ")) == hashed
    assert totp.hash_recovery_code("123456") is None
    assert totp.hash_recovery_code("0" * 16) is None  # letters outside the alphabet
