"""Shared fixtures (flaskr style): a fresh app and migrated database per test, an `auth` helper.
Helpers the tests import live in tests/support/ (app.py: the password, csrf_token, AuthActions…)."""

from __future__ import annotations

import pytest

from app.database import make_engine, upgrade
from app.services import master_password
from tests.support.app import PASSWORD, AuthActions, make_test_app

# Plugins (tests/support/): redis_url, redis_prefix, redis_server; postgres, --db=sqlite|postgresql|both
# and database_url; `tools` (the two small tools behind the proxies).
pytest_plugins = ["tests.support.redis", "tests.support.postgres", "tests.support.proxied"]


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """One SQLite file migrated by Alembic; each test gets a copy (migrating is the slow part)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def make_app(tmp_path, migrated_template, database_url):
    """Build an app on this test's database (SQLite or PostgreSQL, see --db) with extra typed settings."""
    apps = []

    def build(**overrides):
        if database_url:
            overrides = {"GATEHOUSE_DATABASE_URL": database_url, **overrides}
        app = make_test_app(tmp_path, migrated_template, **overrides)
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["gatehouse.db"].engine.dispose()


@pytest.fixture
def fresh_app(make_app):
    """An app whose setup is not done yet."""
    return make_app()


@pytest.fixture
def app(fresh_app):
    """An app with the master password set to PASSWORD."""
    with fresh_app.app_context():
        master_password.set_first(PASSWORD)
    return fresh_app


@pytest.fixture
def server(tmp_path):
    """Real gunicorn on a free loopback port, with the master password set."""
    from tests.e2e.server import Server

    srv = Server(tmp_path / "instance")
    srv.prepare(PASSWORD)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def auth(client):
    return AuthActions(client)


