"""`/apps`: list the registered apps, add one (its secret shown once), remove one (everything it
holds stops working). Signed in only; the same rules as `gatehouse oidc` (app/oidc/clients.py)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for

from app.apps.forms import AddAppForm, RemoveForm
from app.oidc import clients
from app.web import signed_in

bp = Blueprint("apps", __name__)
MAX_ID = 2**63 - 1


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _page(form: AddAppForm, status: int = 200, error: str | None = None):
    issuer = current_app.config["GATEHOUSE_PUBLIC_URL"]
    return render_template("apps/index.html", apps=clients.listing(), form=form, remove_form=RemoveForm(),
                           enabled=current_app.config["GATEHOUSE_OIDC"], issuer=issuer, error=error), status


@bp.get("/apps")
@signed_in.login_required
def index():
    """Every app with its redirect URIs and last use, and the form to add one."""
    return _page(AddAppForm())


@bp.post("/apps")
@signed_in.login_required
def add():
    """Register an app: the page that shows its secret, once; a bad value → 400, nothing stored."""
    form = AddAppForm()
    try:
        client, secret = clients.add(
            form.name.data or "", _lines(form.redirect_uris.data), _lines(form.post_logout_redirect_uris.data),
            public=bool(form.public.data), policy=clients.TWO_FACTOR if form.two_factor.data else clients.SIGNED_IN,
            groups=(form.groups.data or "").split(","),
        )
    except clients.ClientRejected as exc:
        return _page(form, 400, str(exc))
    return render_template("apps/created.html", app=client, secret=secret,
                           issuer=current_app.config["GATEHOUSE_PUBLIC_URL"])


@bp.post("/apps/<int:app_id>/remove")
@signed_in.login_required
def remove(app_id: int):
    """Remove an app and every code and token it holds. :raise 404: no such app."""
    client = clients.by_pk(app_id) if app_id <= MAX_ID else None
    if client is None or not clients.remove(client.name):
        abort(404, "No app has that id.")
    flash(f"{client.name} was removed; its sign-ins and tokens stopped working.")
    return redirect(url_for("apps.index"), 303)
