"""What app tests share (flaskr's `auth` helper and friends): the test password and secret, an
app on a copy of the migrated database, the CSRF token of a page, sign-in and sign-out."""

from __future__ import annotations

import re
import shutil

from sqlalchemy import func, select

from app.extensions import db
from app.factory import create_app
from app.models import LoginSession, Setting
from app.services import master_password

PASSWORD = "correct horse battery staple"
SECRET = "test-secret-key-0123456789abcdefghijklmnop"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


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


def count_rows(app, model=LoginSession) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def stored_hash(app) -> str | None:
    with app.app_context():
        row = db.session.get(Setting, master_password.PASSWORD_KEY)
        return row.value if row else None

