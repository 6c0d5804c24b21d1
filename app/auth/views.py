"""Sign in (`/login`, then `/login/code` when a second factor is on) and sign out (`/logout`);
after a sign-in with a recovery code, `/login/recovery-used` says so before going on."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, make_response, redirect, render_template, request, session, url_for
from werkzeug.exceptions import TooManyRequests

from app.auth import pending
from app.auth.forms import CodeForm, LoginForm, LogoutForm
from app.extensions import limiter
from app.ratelimit.slots import ChecksBusy
from app.security.redirects import safe_next, safe_return
from app.services import login as login_service
from app.services import login_sessions, two_factor
from app.web import forward
from app.web import signed_in
from app.web.client import client_ip
from app.web.error_pages import retry_seconds, wait_in_words
from app.web.errors import render_error
from app.edge.page_cache import cached_page

bp = Blueprint("auth", __name__)
CONTINUE_KEY = "gatehouse_continue"  # where the recovery notice goes on to (Flask's signed cookie)


@bp.route("/login", methods=["GET", "POST"])
@limiter.guarded(issues_device=True)
def login():
    """Form; right password → new session and 303 to `rd` (an allowed URL) or a local `next`
    (with a second factor on: no session, a pending step in this browser that keeps where to go,
    and 303 to /login/code); wrong → 401.

    Already signed in: straight on to `rd`/`next`, unless `reauth=1` (a forward-auth answer for
    a rule's max_age, docs/access.md, or an app's prompt=login, docs/oidc.md): then the form asks
    again, and the right password (and code) refreshes this same session instead of starting another.
    """
    current = signed_in.current_session()
    if request.method != "POST":  # GET, and the HEAD Flask adds to it: never the POST path
        target, rd, next_ = _return_to(request.args.get("rd"), request.args.get("next"))
        again = "1" if current is not None and request.args.get("reauth") == "1" else ""
        if current is not None and not again:
            return redirect(target, 303)
        # The form shows nothing else that varies (app/edge/page_cache.py); built only to render it.
        return cached_page("auth/login.html", (rd, next_, again), lambda: {
            "form": LoginForm(rd=rd, next=next_, reauth=again), "again": bool(again), "destination": destination(rd)})
    form = LoginForm()
    target = _carry_target(form)
    again = current.id if current is not None and form.reauth.data == "1" else None
    if current is not None and again is None:
        return redirect(target, 303)
    remember = bool(form.remember.data) and login_sessions.remember_offered()
    outcome = login_service.password_step(form.password.data or "", client_ip(), request.user_agent.string,
                                          remember=remember, reauthenticate=again)
    if outcome.code_owed:  # the target was checked already: a local path, or an allowed return address
        pending.start(target, outcome.pending, remember=remember, reauthenticate=again)
        return redirect(url_for("auth.login_code"), 303)
    if outcome.refused:
        form.password.errors = ["Incorrect password."]
        return render_template("auth/login.html", form=form, again=again is not None,
                               destination=destination(form.rd.data)), 401
    return _signed_in(target, outcome)


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.guarded(issues_device=True)
def login_code():
    """The second step: a code (or recovery code) → the session and on to `next`; wrong → 401.

    Without a pending step (none, expired, another browser's, finished already, started with a
    password changed since), or once the second factor was turned off meanwhile (the CLI) →
    303 to /login, nothing checked or counted. Signed in already → 303 to /, unless the pending
    step signs this very session in again.
    """
    owed = pending.current()
    current = signed_in.current_session()
    if current is not None and (owed is None or owed.reauthenticate != current.id):
        return redirect("/", 303)
    if owed is None or not two_factor.required() or not login_service.pending_live(owed.ticket):
        pending.finish()
        return redirect(url_for("auth.login"), 303)
    form = CodeForm()
    page = {"form": form, "destination": destination(owed.next)}
    if request.method != "POST":  # GET, and the HEAD Flask adds to it: never the POST path
        return render_template("auth/code.html", **page, unreadable=not two_factor.codes_readable())
    outcome = login_service.code_step(form.code.data or "", client_ip(), request.user_agent.string, owed.ticket,
                                      remember=owed.remember, reauthenticate=owed.reauthenticate)
    if outcome.refused == login_service.CODES_UNREADABLE:  # nothing was checked, nothing counted
        form.code.data = ""
        return render_template("auth/code.html", **page, unreadable=True), 503
    if outcome.refused:
        form.code.data = ""
        return render_template("auth/code.html", **page, error="That code is not right, or was used already."), 401
    pending.finish()
    if outcome.recovery_left is not None:  # said before going on, wherever the person was going
        session[CONTINUE_KEY] = owed.next
        return _signed_in(url_for("auth.recovery_used"), outcome)
    return _signed_in(owed.next, outcome)


def _signed_in(target: str, outcome: login_service.Outcome):
    """On to `target`: with the new session's cookie, or (signed in again) with the one it has."""
    if outcome.started is None:
        return redirect(target, 303)
    return signed_in.start_browser_session(redirect(target, 303), outcome.started)


@bp.get("/login/recovery-used")
@signed_in.login_required
def recovery_used():
    """After a sign-in with a recovery code: how many are left (a warning at two or fewer), and a
    link on to where the sign-in was going (SPEC §17)."""
    target = session.get(CONTINUE_KEY) or "/"
    left = two_factor.status().recovery_left
    return render_template("auth/recovery_used.html", left=left, target=target, destination=destination(target))


def destination(target: str | None) -> str | None:
    """The host a kept return address leads to ("grafana.example.org"), for "to continue to …";
    None for a path on the portal itself. `target` was checked already (`_return_to`)."""
    if not target or target.startswith("/"):
        return None
    return urlsplit(target).netloc or None


@bp.errorhandler(TooManyRequests)
@bp.errorhandler(ChecksBusy)
def refused(error):
    """A sign-in the limiter refused (429 while held back, 503 when no check slot is free)
    answers with the form itself, `next` kept and the wait in words, so the person can simply
    try again. Any other 503 (database, Redis, a refused instance) gets the usual error page."""
    if request.endpoint != "auth.login":
        return render_error(error)
    form = LoginForm()
    _carry_target(form)  # the posted `next` or `rd`, checked again, rides on the new form
    wait = wait_in_words(retry_seconds(error) or 1)
    if error.code == 429:
        message = f"Too many failed attempts. Try again {wait}."
    else:
        message = f"Gatehouse is busy checking other sign-ins. Try again {wait}."
    headers = {k: v for k, v in error.get_headers() if k != "Content-Type"}
    # A block (not a short backoff): say how the admin, at the server, can lift it now.
    blocked_ip = client_ip() if error.code == 429 and (retry_seconds(error) or 0) >= 60 else None
    return (render_template("auth/login.html", form=form, error=message, blocked_ip=blocked_ip,
                            destination=destination(form.rd.data)), error.code, headers)


def _carry_target(form: LoginForm) -> str:
    """Where a posted sign-in goes; the form's hidden fields are set to carry it on."""
    target, form.rd.data, form.next.data = _return_to(form.rd.data, form.next.data)
    form.reauth.data = "1" if form.reauth.data == "1" else ""
    return target


def _return_to(rd: str | None, next_: str | None) -> tuple[str, str, str]:
    """(where a sign-in goes, the form's hidden `rd`, its hidden `next`): `rd` when it is an
    allowed absolute URL (from forward auth), else a local `next`."""
    target = safe_return(rd, forward.return_policy()) if rd else safe_next(next_)
    return target, (target if rd else ""), ("/" if rd else target)


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """GET asks for confirmation; POST revokes the session, clears the cookie, 303 to /login."""
    form = LogoutForm()
    if request.method != "POST":  # GET, and the HEAD Flask adds to it: never the POST path
        return render_template("auth/logout.html", form=form, signed_in=signed_in.current_session() is not None)
    token = signed_in.presented_token()
    if token:
        login_service.logout(token, client_ip(), request.user_agent.string)
    flash("You have been signed out.")
    response = signed_in.end_browser_session(make_response(redirect(url_for("auth.login"), 303)))
    # "cache" only: "cookies" would also wipe the device cookie that guards against lockout.
    response.headers["Clear-Site-Data"] = '"cache"'
    return response
