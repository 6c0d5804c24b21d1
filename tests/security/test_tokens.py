import pytest

from app.security.tokens import TokenSigner, hash_token, new_token


def test_new_token_is_random_32_bytes():
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50 and all(len(t) == 43 for t in tokens)


def test_hash_is_sha256_hex():
    assert hash_token("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_sign_and_unsign():
    signer = TokenSigner("current-key-" + "x" * 30)
    token = new_token()
    signed = signer.sign(token)
    assert signed != token and signer.unsign(signed) == token


def test_previous_key_still_verifies_but_new_signatures_use_current():
    old, new = "old-key-" + "o" * 30, "new-key-" + "n" * 30
    token = new_token()
    signed_with_old = TokenSigner(old).sign(token)
    rotated = TokenSigner(new, [old])
    assert rotated.unsign(signed_with_old) == token
    assert TokenSigner(new).unsign(rotated.sign(token)) == token
    assert TokenSigner(new).unsign(signed_with_old) is None


@pytest.mark.parametrize("value", [None, "", "abc", "abc.def", "x" * 5000, "tok\x00en.sig", "täken.sig"])
def test_garbage_is_rejected(value):
    assert TokenSigner("k" * 40).unsign(value) is None


def test_tampered_and_foreign_values_are_rejected():
    signer = TokenSigner("k" * 40)
    signed = signer.sign(new_token())
    tampered = ("A" if signed[0] != "A" else "B") + signed[1:]
    assert signer.unsign(tampered) is None
    assert signer.unsign(TokenSigner("z" * 40).sign(new_token())) is None


def test_verified_values_are_remembered_forged_ones_never():
    from app.security import tokens

    signer = TokenSigner("k" * 40)
    token = new_token()
    signed = signer.sign(token)
    assert signer.unsign(signed) == token
    signer._signer = None  # from now on nothing could be verified again: the kept answer is used
    assert signer.unsign(signed) == token
    forger = TokenSigner("k" * 40)
    forged = signed[:-3] + ("AAA" if not signed.endswith("AAA") else "BBB")
    for _ in range(3):
        assert forger.unsign(forged) is None
    assert len(forger._verified) == 0
    for _ in range(tokens.VERIFIED_VALUES + 10):
        forger.unsign(forger.sign(new_token()))
    assert len(forger._verified) == tokens.VERIFIED_VALUES
