"""The protected home page and the password change page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from app.account.forms import PasswordForm
from app.extensions import limiter
from app.security.passwords import MIN_CHARACTERS, PasswordRejected, PasswordsDiffer
from app.services import activity, password_change
from app.web import signed_in
from app.web.client import client_ip
from app.edge.page_cache import cached_page

bp = Blueprint("account", __name__)


@bp.get("/")
@signed_in.login_required
def home():
    """Signed-in state, when this session ends, and the sign-in before this one."""
    current = signed_in.current_session()
    recent = activity.summary(current.id)
    # What the page shows: the session's end and the summary (app/edge/page_cache.py).
    return cached_page("account/home.html", (current.id, current.expires_at, recent),
                       lambda: {"login_session": current, "recent": recent})


@bp.route("/password", methods=["GET", "POST"])
@signed_in.login_required
@limiter.guarded(issues_device=True)
def password():
    """Change the master password: 400 for a new one that breaks the rules, 403 for a wrong
    current one; success signs every other session out and gives this browser a fresh cookie."""
    form = PasswordForm()
    if request.method != "POST":  # GET, and the HEAD Flask adds to it: never the POST path
        return _form(form)
    try:
        started = password_change.change(
            form.current.data or "", form.new.data or "", form.confirm.data or "",
            client_ip(), request.user_agent.string, methods=signed_in.current_session().methods,
            remember=signed_in.current_session().remember,
        )
    except PasswordRejected as exc:  # checked before the current password: not an attempt
        (form.confirm if isinstance(exc, PasswordsDiffer) else form.new).errors = [str(exc)]
        return _form(form), 400
    if started is None:
        form.current.errors = ["The current password is incorrect."]
        return _form(form), 403
    flash("The master password has been changed. Every other session has been signed out.")
    return signed_in.start_browser_session(redirect(url_for("account.home"), 303), started)


def _form(form: PasswordForm):
    return render_template("account/password.html", form=form, min_chars=MIN_CHARACTERS)
