"""Sign in (`/login`, then `/login/code` when a second factor is on) and sign out (`/logout`)."""

from __future__ import annotations

from flask import Blueprint, make_response, redirect, render_template, request, url_for

from app.auth import pending
from app.auth.forms import CodeForm, LoginForm, LogoutForm
from app.extensions import limiter
from app.security.redirects import safe_next, safe_return
from app.services import login as login_service
from app.services import two_factor
from app.web import forward
from app.web import session as web_session
from app.web.client import client_ip

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@limiter.guarded(issues_device=True)
def login():
    """Form; right password → new session and 303 to `rd` (an allowed URL) or a local `next`
    (with a second factor on: no session, a pending step in this browser that keeps where to go,
    and 303 to /login/code); wrong → 401."""
    form = LoginForm()
    source = form if request.method == "POST" else None
    rd = source.rd.data if source else request.args.get("rd")
    target = safe_return(rd, forward.return_policy()) if rd else safe_next(source.next.data if source else request.args.get("next"))
    if web_session.current_session() is not None:
        return redirect(target, 303)
    form.rd.data = target if rd else ""
    form.next.data = "/" if rd else target
    if request.method != "POST":  # GET, and the HEAD Flask adds to it: never the POST path
        return render_template("auth/login.html", form=form)
    outcome = login_service.password_step(form.password.data or "", client_ip(), request.user_agent.string)
    if outcome.code_owed:
        pending.start(target)  # already checked: a local path, or an allowed return address
        return redirect(url_for("auth.login_code"), 303)
    if outcome.started is None:
        return render_template("auth/login.html", form=form, error="Incorrect password."), 401
    return web_session.start_browser_session(redirect(target, 303), outcome.started)


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.guarded(issues_device=True)
def login_code():
    """The second step: a code (or recovery code) → the session and on to `next`; wrong → 401.

    Without a pending step (none, expired, another browser's), or once the second factor
    was turned off meanwhile (the CLI) → 303 to /login, nothing checked or counted.
    """
    if web_session.current_session() is not None:
        return redirect("/", 303)
    owed = pending.current()
    if owed is None or not two_factor.required():
        pending.finish()
        return redirect(url_for("auth.login"), 303)
    form = CodeForm()
    if request.method != "POST":  # GET, and the HEAD Flask adds to it: never the POST path
        return render_template("auth/code.html", form=form)
    started = login_service.code_step(form.code.data or "", client_ip(), request.user_agent.string)
    if started is None:
        form.code.data = ""
        return render_template("auth/code.html", form=form, error="That code is not right, or was used already."), 401
    pending.finish()
    return web_session.start_browser_session(redirect(owed.next, 303), started)


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
