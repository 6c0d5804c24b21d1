"""`/sessions`: list the live sessions, revoke one, revoke all others."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from app.services import login_sessions
from app.web import signed_in
from app.web.client import client_ip
from app.sessions.forms import RevokeForm

MAX_ID = 2**63 - 1  # larger ids cannot be in the table (and overflow the database driver)

bp = Blueprint("sessions", __name__)


@bp.get("/sessions")
@signed_in.login_required
def index():
    """Every live session, the current one marked, and the client address as we see it."""
    return render_template(
        "sessions/index.html",
        sessions=login_sessions.active(),
        current_id=signed_in.current_session().id,
        client_ip=client_ip(),
        form=RevokeForm(),
    )


@bp.post("/sessions/<int:session_id>/revoke")
@signed_in.login_required
def revoke(session_id: int):
    """End one session. :raise 404: no live session has that id. Ending one's own signs out."""
    own = session_id == signed_in.current_session().id
    if session_id > MAX_ID or not login_sessions.revoke(session_id, client_ip(), request.user_agent.string,
                                                        detail="this session" if own else None):
        abort(404, "No live session has that id.")
    if own:
        flash("You have been signed out.")
        return signed_in.end_browser_session(redirect(url_for("auth.login"), 303))
    flash("The session has been signed out.")
    return redirect(url_for("sessions.index"), 303)


@bp.post("/sessions/revoke-others")
@signed_in.login_required
def revoke_others():
    """End every session but the one making this request."""
    count = login_sessions.revoke_others(signed_in.current_session().id, client_ip(), request.user_agent.string)
    flash(f"Signed out {count} other session{'s' if count != 1 else ''}.")
    return redirect(url_for("sessions.index"), 303)
