"""An app with the OpenID Provider on (issuer http://localhost, the test client's host)."""

from __future__ import annotations

import pytest

from app.services import master_password
from tests.support.app import PASSWORD, AuthActions
from tests.support.oidc import oidc_settings


@pytest.fixture
def app(make_app):
    app = make_app(**oidc_settings())
    with app.app_context():
        master_password.set_first(PASSWORD)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def auth(client):
    return AuthActions(client)
