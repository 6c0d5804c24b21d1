"""`/two-factor`: turn authenticator codes on (password → QR code → a code) and off, recovery codes.

Every POST here checks a password or a code, so each is a guarded check for the login
limiter (`@limiter.guarded`); the checks themselves run in app/services/two_factor.py.
Wrong password or code → 403 and the page again, like the password page.
"""

from __future__ import annotations

import io

import segno
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from app.extensions import limiter
from app.services import passkeys, two_factor
from app.two_factor.forms import ConfirmForm, DisableForm, PasswordForm
from app.web.client import client_ip
from app.web.signed_in import current_session, login_required

bp = Blueprint("two_factor", __name__, url_prefix="/two-factor")


@bp.get("")
@login_required
def index():
    """Whether codes are on, recovery codes left; while enrolling, the QR code and key."""
    return _page()


def _page(error: str | None = None, status: int = 200):
    state = two_factor.status()
    secret = None if state.totp_on else two_factor.pending_secret(current_session().id)
    forms = {"begin_form": PasswordForm(), "confirm_form": ConfirmForm(), "regenerate_form": PasswordForm(),
             "disable_form": DisableForm()}
    return render_template("two_factor/index.html", status=state, pending_secret=secret, error=error,
                           passkeys=passkeys.listing(), passkey_form=PasswordForm(), **forms), status


@bp.post("/totp/begin")
@login_required
@limiter.guarded
def begin():
    """Current password → a new pending secret, shown on the page until confirmed."""
    if two_factor.required():
        return _page("Codes are already on; turn them off first to use another app.", 409)
    if two_factor.begin(current_session().id, PasswordForm().password.data or "", client_ip(), _browser()) is None:
        return _page("The current password is incorrect.", 403)
    return redirect(url_for("two_factor.index"), 303)


@bp.get("/totp/qr.svg")
@login_required
def qr():
    """The pending secret as a QR code (SVG; an image from our origin, so the CSP stays as is)."""
    secret = two_factor.pending_secret(current_session().id)
    if secret is None:
        abort(404)
    buffer = io.BytesIO()
    segno.make(two_factor.provisioning_uri(secret), error="m").save(
        buffer, kind="svg", scale=4, border=4, xmldecl=False, dark="#000", light="#fff"
    )
    return buffer.getvalue(), 200, {"Content-Type": "image/svg+xml", "Cache-Control": "no-store"}


@bp.post("/totp/confirm")
@login_required
@limiter.guarded
def confirm():
    """A code from the app → codes on, every other session signed out, recovery codes shown once."""
    session_id = current_session().id
    if two_factor.pending_secret(session_id) is None:
        return _page("Nothing to confirm: set up the app again (the key is valid for 15 minutes).", 409)
    codes = two_factor.confirm(session_id, ConfirmForm().code.data or "", ip=client_ip(), user_agent=_browser())
    if codes is None:
        return _page("That code is not right. Check the phone's clock and try the next code.", 403)
    return _codes_page(codes)


@bp.post("/recovery-codes")
@login_required
@limiter.guarded
def recovery_codes():
    """Current password → a fresh set of recovery codes; the old ones stop working."""
    if not two_factor.required():
        return _page("Recovery codes come with an authenticator app; set one up first.", 409)
    codes = two_factor.regenerate_recovery_codes(PasswordForm().password.data or "", client_ip(), _browser())
    if codes is None:
        return _page("The current password is incorrect.", 403)
    return _codes_page(codes)


@bp.post("/totp/disable")
@login_required
@limiter.guarded
def disable():
    """Current password and a code (or a recovery code) → codes off, recovery codes gone."""
    form = DisableForm()
    if not two_factor.required():
        return redirect(url_for("two_factor.index"), 303)
    if not two_factor.disable(form.password.data or "", form.code.data or "", ip=client_ip(), user_agent=_browser()):
        return _page("The password or the code is not right.", 403)
    flash("Two-factor sign-in is off. A password alone signs in again.")
    return redirect(url_for("two_factor.index"), 303)


def _codes_page(codes: list[str]):
    return render_template("two_factor/recovery_codes.html", codes=codes)


def _browser() -> str:
    return request.user_agent.string
