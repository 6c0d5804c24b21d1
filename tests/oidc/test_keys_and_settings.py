"""The signing key file (mode 0600, refused when others can read it; rotation keeps the old public
key while its ID tokens live) and the settings that turn the provider on."""

from __future__ import annotations

import json
import stat
import time

import pytest
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from app.config import ConfigError, load_settings
from app.oidc import keys
from tests.support.oidc import exchange, get_code, id_claims, register


def key_file(app):
    return app.config["GATEHOUSE_INSTANCE_DIR"] / keys.FILE_NAME


def test_the_key_is_generated_once_into_the_instance_folder_mode_0600(app, make_app):
    path = key_file(app)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = json.loads(path.read_text())["keys"][0]["jwk"]["kid"]
    make_app(GATEHOUSE_OIDC=True, GATEHOUSE_PUBLIC_URL="http://localhost")  # a restart keeps it
    assert json.loads(path.read_text())["keys"][0]["jwk"]["kid"] == first


def test_a_key_file_others_can_read_stops_start_up(app, make_app):
    path = key_file(app)
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="readable by other users: run `chmod 600"):
        make_app(GATEHOUSE_OIDC=True, GATEHOUSE_PUBLIC_URL="http://localhost")


def test_a_key_file_that_is_not_ours_stops_start_up_with_a_clear_line(app, make_app):
    key_file(app).write_text("not json")
    with pytest.raises(ConfigError, match="is not a Gatehouse key file"):
        make_app(GATEHOUSE_OIDC=True, GATEHOUSE_PUBLIC_URL="http://localhost")


def test_rotate_key_signs_with_a_new_key_and_keeps_the_old_one_published(app, client, auth):
    client_id, secret = register(app)
    auth.login()
    old_token = exchange(client, client_id, secret, get_code(client, client_id, nonce="a")).get_json()["id_token"]
    result = app.test_cli_runner().invoke(args=["oidc", "rotate-key"])
    assert result.exit_code == 0 and "stays published for 60 minutes" in result.output
    published = client.get("/oidc/jwks").get_json()
    assert len(published["keys"]) == 2
    new_token = exchange(client, client_id, secret, get_code(client, client_id, nonce="b")).get_json()["id_token"]
    old_kid, new_kid = (jwt.decode(t, KeySet.import_key_set(published)).header["kid"] for t in (old_token, new_token))
    assert old_kid != new_kid and id_claims(client, old_token)["aud"] == [client_id]
    # An hour later the retired key is gone from the JWKS, and with it the old ID tokens' signature.
    later = app.extensions["gatehouse.oidc"].keyring.public_jwks(now=time.time() + keys.ID_TOKEN_SECONDS + 1)
    assert [k["kid"] for k in later["keys"]] == [new_kid]
    with pytest.raises(JoseError):
        jwt.decode(old_token, KeySet.import_key_set(later))


def test_oidc_needs_a_public_url(tmp_path):
    with pytest.raises(ConfigError, match="^GATEHOUSE_OIDC=1 needs GATEHOUSE_PUBLIC_URL"):
        load_settings({"GATEHOUSE_INSTANCE_DIR": str(tmp_path), "GATEHOUSE_OIDC": "1"})


def test_an_http_issuer_only_without_secure_cookies(tmp_path):
    base = {"GATEHOUSE_INSTANCE_DIR": str(tmp_path), "GATEHOUSE_OIDC": "1", "GATEHOUSE_PUBLIC_URL": "http://auth.lan"}
    with pytest.raises(ConfigError, match="must be https:// while GATEHOUSE_COOKIE_SECURE=1"):
        load_settings(base)
    assert load_settings({**base, "GATEHOUSE_COOKIE_SECURE": "0"})["GATEHOUSE_OIDC"] is True


@pytest.mark.parametrize("value", ["admin", "Admin <admin@example.org>", "a b@example.org", "admin@localhost"])
def test_a_bad_email_names_the_variable(tmp_path, value):
    with pytest.raises(ConfigError, match="^GATEHOUSE_EMAIL=.* is invalid: must be a plain e-mail address"):
        load_settings({"GATEHOUSE_INSTANCE_DIR": str(tmp_path), "GATEHOUSE_EMAIL": value})
