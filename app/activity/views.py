"""`/activity`: the sign-in events, newest first, a page at a time (docs/pages.md, "Sign-in activity").

`?kind=` shows one group of events (`signed-in`, `failed`, `changes`: services.activity.GROUPS),
`?page=` an older page; anything else there is 404.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from app.web import signed_in
from app.services import activity

bp = Blueprint("activity", __name__)
LAST_PAGE = 10_000  # far past anything kept: a bound for the database's OFFSET
FILTERS = (("All", None), ("Sign-ins", "signed-in"), ("Failed", "failed"), ("Changes", "changes"))


@bp.get("/activity")
@signed_in.login_required
def index():
    """One page of events of the chosen kind, and how long they are kept."""
    group = request.args.get("kind") or None
    number = request.args.get("page", "1")
    if (group is not None and group not in activity.GROUPS) or not number.isdigit() or not 1 <= int(number) <= LAST_PAGE:
        abort(404)
    return render_template("activity/index.html", page=activity.listing(group, int(number)), group=group,
                           filters=FILTERS, size=activity.PAGE_SIZE)
