"""The shipped app plus two bare routes, so one server measures auth against no auth.

gunicorn loads it exactly as it loads `wsgi:app` (same config, same hooks). The bare page
renders the same home template as `/` from a fixed session, so the only difference
between the two is the authentication check.
"""

from datetime import datetime, timedelta, timezone

from flask import render_template

from app import create_app
from app.cache import CachedSession
from app.lifecycle import start_serving

app = create_app()
_NOW = datetime.now(timezone.utc)
_FIXED = CachedSession(0, "browser", _NOW + timedelta(hours=12), _NOW)


@app.get("/bench/bare")
def bare_page():
    return render_template("account/home.html", login_session=_FIXED)


@app.get("/bench/bare-204")
def bare_204():
    return "", 204


start_serving(app)
