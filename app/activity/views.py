"""`/activity`: the latest sign-in events (docs: README "Sign-in activity")."""

from __future__ import annotations

from flask import Blueprint, render_template

from app.web import signed_in
from app.services import activity

bp = Blueprint("activity", __name__)


@bp.get("/activity")
@signed_in.login_required
def index():
    """The latest 200 events, newest first, and how long they are kept."""
    return render_template("activity/index.html", events=activity.recent(), limit=activity.PAGE_SIZE)
