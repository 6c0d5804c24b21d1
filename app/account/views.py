"""The protected home page."""

from __future__ import annotations

from flask import Blueprint, render_template

from app import access

bp = Blueprint("account", __name__)


@bp.get("/")
@access.login_required
def home():
    """Signed-in state and when this session ends."""
    return render_template("account/home.html", login_session=access.current_session())
