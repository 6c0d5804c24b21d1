"""The protected home page and the password change page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from app.web import session as access
from app.account.forms import PasswordForm
from app.extensions import limiter
from app.security.passwords import MIN_CHARACTERS, PasswordRejected
from app.services import login_sessions, password_change

bp = Blueprint("account", __name__)


@bp.get("/")
@access.login_required
def home():
    """Signed-in state and when this session ends."""
    return render_template("account/home.html", login_session=access.current_session())


@bp.route("/password", methods=["GET", "POST"])
@access.login_required
def password():
    """Change the master password: 400 for a new one that breaks the rules, 403 for a wrong
    current one; success signs every other session out and gives this browser a fresh cookie."""
    form = PasswordForm()
    if request.method != "POST":  # GET, and the HEAD Flask adds to it: never the POST path
        return _form(form)
    try:
        started = password_change.change(
            form.current.data or "", form.new.data or "", form.confirm.data or "",
            access.client_ip(), request.user_agent.string,
        )
    except PasswordRejected as exc:  # checked before the current password: not an attempt
        return _form(form, str(exc)), 400
    limiter.report(started is not None)
    if started is None:
        return _form(form, "The current password is incorrect."), 403
    flash("The master password has been changed. Every other session has been signed out.")
    response = redirect(url_for("account.home"), 303)
    access.set_session_cookie(response, started.token, login_sessions.remaining_seconds(started.session))
    return response


def _form(form: PasswordForm, error: str | None = None):
    return render_template("account/password.html", form=form, min_chars=MIN_CHARACTERS, error=error)
