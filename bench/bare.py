"""Two routes with no auth, for measuring the auth check against nothing.

The bare page renders the same home template as `/` from a fixed session, so the only
difference between `/` and `/bench/bare` is the authentication check; `/bench/bare-204`
is the same for `/api/v1/auth/verify`.
"""

from datetime import datetime, timedelta, timezone

from flask import Flask, render_template

from app.cache import CachedSession

_NOW = datetime.now(timezone.utc)
_FIXED = CachedSession(0, "browser", _NOW + timedelta(hours=12), _NOW)


def add_bare_routes(app: Flask) -> None:
    def bare_page():
        return render_template("account/home.html", login_session=_FIXED)

    def bare_204():
        return "", 204

    app.add_url_rule("/bench/bare", "bench_bare", bare_page)
    app.add_url_rule("/bench/bare-204", "bench_bare_204", bare_204)
