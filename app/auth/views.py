"""Sign in (`/login`) and sign out (`/logout`)."""

from __future__ import annotations

from flask import Blueprint, make_response, redirect, render_template, request, url_for

from app.auth.forms import LoginForm, LogoutForm
from app.extensions import limiter
from app.security.redirects import safe_next
from app.services import login as login_service
from app.services import login_sessions
from app.web import session as web_session
from app.web.client import client_ip

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@limiter.guarded(issues_device=True)
def login():
    """Form; right password → new session and 303 to a local `next`; wrong → 401."""
    form = LoginForm()
    target = safe_next(form.next.data if request.method == "POST" else request.args.get("next"))
    if web_session.current_session() is not None:
        return redirect(target, 303)
    if request.method != "POST":  # GET, and the HEAD Flask adds to it: never the POST path
        form.next.data = target
        return render_template("auth/login.html", form=form)
    started = login_service.attempt(form.password.data or "", client_ip(), request.user_agent.string,
                                    kind=login_sessions.BROWSER)
    if started is None:
        form.next.data = target
        return render_template("auth/login.html", form=form, error="Incorrect password."), 401
    return web_session.start_browser_session(redirect(target, 303), started)


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """GET asks for confirmation; POST revokes the session, clears the cookie, 303 to /login."""
    form = LogoutForm()
    if request.method != "POST":  # GET, and the HEAD Flask adds to it: never the POST path
        return render_template("auth/logout.html", form=form, signed_in=web_session.current_session() is not None)
    token = web_session.presented_token()
    if token:
        login_service.logout(token, client_ip())
    response = web_session.end_browser_session(make_response(redirect(url_for("auth.login"), 303)))
    # "cache" only: "cookies" would also wipe the device cookie that guards against lockout.
    response.headers["Clear-Site-Data"] = '"cache"'
    return response
