"""The usual stack, for comparison: Flask-Login + Flask-SQLAlchemy with one authenticated page.

What a typical small Flask app with sign-in looks like: a `User` table in SQLite, Flask's
signed session cookie carrying the user id, `user_loader` reading the row on every request,
`@login_required` on `/`. `POST /login` (form field `password`) signs the one user in.
`BENCH_PEER_DB` names the SQLite file (default: a file in the system's temp folder).
"""

from __future__ import annotations

import os
import tempfile

from flask import Flask, redirect, render_template, request
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user
from flask_sqlalchemy import SQLAlchemy
from jinja2 import DictLoader
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

PASSWORD = "peer password"
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Home</title></head>
<body><main><h1>Signed in as {{ user.name }}</h1><p>A small page behind Flask-Login.</p></main></body></html>
"""


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    password_hash: Mapped[str]


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


def create_app() -> Flask:
    app = Flask(__name__)
    app.jinja_loader = DictLoader({"home.html": PAGE})
    path = os.environ.get("BENCH_PEER_DB") or os.path.join(tempfile.gettempdir(), f"flask-login-peer-{os.getpid()}.db")
    app.config.update(SECRET_KEY=os.urandom(32).hex(), SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
    db.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "login"
    with app.app_context():
        db.create_all()
        if db.session.get(User, 1) is None:
            db.session.add(User(id=1, name="admin", password_hash=generate_password_hash(PASSWORD)))
            db.session.commit()

    @app.get("/")
    @login_required
    def home():
        return render_template("home.html", user=current_user)

    @app.post("/login")
    def login():
        user = db.session.get(User, 1)
        if not check_password_hash(user.password_hash, request.form.get("password", "")):
            return "Incorrect password.", 401
        login_user(user)
        return redirect("/", 303)

    return app


app = create_app()
