"""Shared fixtures (flaskr style): a fresh app and migrated database per test, an `auth` helper."""

from __future__ import annotations

import re
import shutil

import pytest
from sqlalchemy import func, select

from app.factory import create_app
from app.database import make_engine
from app.extensions import db
from app.database import upgrade
from app.models import LoginSession, Setting
from app.services import master_password
from tests.support.external import require_external

PASSWORD = "correct horse battery staple"
SECRET = "test-secret-key-0123456789abcdefghijklmnop"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

# Plugins (tests/support/): redis_url, redis_prefix, redis_server; postgres, --db=sqlite|postgresql|both
# and database_url.
pytest_plugins = ["tests.support.redis", "tests.support.postgres"]

__all__ = ["CSRF_RE", "PASSWORD", "SECRET", "AuthActions", "count_rows", "csrf_token", "make_test_app",
           "require_external", "stored_hash"]


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """One SQLite file migrated by Alembic; each test gets a copy (migrating is the slow part)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def make_test_app(tmp_path, template, **overrides):
    db_file = tmp_path / "gatehouse.db"
    if not db_file.exists():
        shutil.copy(template, db_file)
        db_file.chmod(0o600)  # the app refuses a database other users can read
    settings = {
        "TESTING": True,
        "GATEHOUSE_INSTANCE_DIR": str(tmp_path / "instance"),
        "GATEHOUSE_DATABASE_URL": f"sqlite:///{db_file}",
        "GATEHOUSE_SECRET_KEY": SECRET,
        "GATEHOUSE_BCRYPT_ROUNDS": 4,
        "GATEHOUSE_COOKIE_SECURE": False,
    }
    settings.update(overrides)
    return create_app(settings)


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


def csrf_token(client, path: str = "/login") -> str:
    match = CSRF_RE.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, password: str = PASSWORD, next_path: str = "/"):
        token = csrf_token(self._client, "/login")
        return self._client.post("/login", data={"csrf_token": token, "password": password, "next": next_path})

    def logout(self):
        token = csrf_token(self._client, "/logout")
        return self._client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client):
    return AuthActions(client)


def count_rows(app, model=LoginSession) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def stored_hash(app) -> str | None:
    with app.app_context():
        row = db.session.get(Setting, master_password.PASSWORD_KEY)
        return row.value if row else None
