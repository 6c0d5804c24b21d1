"""`/two-factor`: turn authenticator codes on (password → QR code → a code) and off, recovery codes.

Every POST here checks a password or a code, so each is a guarded check for the login
limiter (`@limiter.guarded`); the checks themselves run in app/services/two_factor.py.
A refused POST goes back to the page (303, Post/Redirect/Get: app/web/carried_error.py),
which shows the message at its field with that form's section open. New recovery codes are
the answer to the POST itself: they are shown once and kept nowhere in clear.
"""

from __future__ import annotations

import io

import segno
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from app.extensions import limiter
from app.services import passkeys, two_factor
from app.two_factor.forms import ConfirmForm, DisableForm, PasskeyForm, PasswordForm, with_ids
from app.web import carried_error
from app.web.client import client_ip
from app.web.signed_in import current_session, login_required

bp = Blueprint("two_factor", __name__, url_prefix="/two-factor")
# Each form on the page: its section's element id (also the page's #anchor) and its fields' ids.
FORMS = {
    "begin": (PasswordForm, {"password": "begin-password"}),
    "confirm": (ConfirmForm, {"code": "code"}),
    "regenerate": (PasswordForm, {"password": "regen-password"}),
    "disable": (DisableForm, {"password": "disable-password", "code": "disable-code"}),
    "passkey": (PasskeyForm, {"password": "passkey-password", "name": "passkey-name"}),
}
WRONG_PASSWORD = "The current password is incorrect."


@bp.get("")
@login_required
def index():
    """Whether codes are on, recovery codes left; while enrolling, the QR code and key."""
    state = two_factor.status()
    secret = None if state.totp_on else two_factor.pending_secret(current_session().id)
    problem = carried_error.take()
    forms = {f"{name}_form": with_ids(form_class(), **ids) for name, (form_class, ids) in FORMS.items()}
    if problem is not None and problem.field is not None:
        field = getattr(forms.get(f"{problem.form}_form"), problem.field, None)
        if field is not None:
            field.errors = [problem.message]
    keys = passkeys.listing()
    return render_template("two_factor/index.html", status=state, pending_secret=secret, problem=problem,
                           secret_groups=_groups(secret), passkeys=keys,
                           open_section=_open_section(problem, state, secret, keys), **forms)


def _open_section(problem, state, secret, keys) -> str | None:
    """The one action shown open: the one with an error, else the next step the page suggests."""
    if problem is not None:
        return problem.form
    if not state.totp_on and secret is None:
        return "begin"
    return "passkey" if state.totp_on and not keys else None


def _groups(secret: str | None) -> list[str]:
    """The key in groups of four, as people type it (it is the same key with or without the gaps)."""
    return [secret[i:i + 4] for i in range(0, len(secret), 4)] if secret else []


def _again(form: str, field: str | None, message: str):
    # No #fragment: Chromium skips `autofocus` on a page whose URL has one, and the field in
    # error has the focus (which scrolls it into view).
    return carried_error.back_to(url_for("two_factor.index"), form, field, message)


@bp.post("/totp/begin")
@login_required
@limiter.guarded
def begin():
    """Current password → a new pending secret, shown on the page until confirmed."""
    if two_factor.required():
        return _again("disable", None, "Codes are already on; turn them off first to use another app.")
    if two_factor.begin(current_session().id, PasswordForm().password.data or "", client_ip(), _browser()) is None:
        return _again("begin", "password", WRONG_PASSWORD)
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
        return _again("begin", None, "Nothing to confirm: set up the app again (the key is valid for 15 minutes).")
    codes = two_factor.confirm(session_id, ConfirmForm().code.data or "", ip=client_ip(), user_agent=_browser())
    if codes is None:
        return _again("confirm", "code", "That code is not right. Check the phone's clock and try the next code.")
    return _codes_page(codes)


@bp.post("/recovery-codes")
@login_required
@limiter.guarded
def recovery_codes():
    """Current password → a fresh set of recovery codes; the old ones stop working."""
    if not two_factor.required():
        return _again("begin", None, "Recovery codes come with an authenticator app; set one up first.")
    codes = two_factor.regenerate_recovery_codes(PasswordForm().password.data or "", client_ip(), _browser())
    if codes is None:
        return _again("regenerate", "password", WRONG_PASSWORD)
    return _codes_page(codes)


@bp.post("/totp/disable")
@login_required
@limiter.guarded
def disable():
    """Current password and a code (or a recovery code) → codes off, recovery codes gone."""
    form = DisableForm()
    if not two_factor.required():
        return redirect(url_for("two_factor.index"), 303)
    wrong = two_factor.disable_refused(form.password.data or "", form.code.data or "", ip=client_ip(),
                                       user_agent=_browser())
    if wrong == "password":
        return _again("disable", "password", WRONG_PASSWORD)
    if wrong:
        return _again("disable", "code", "That code is not right, or that recovery code was used already.")
    flash("Two-factor sign-in is off. A password alone signs in again.")
    return redirect(url_for("two_factor.index"), 303)


def _codes_page(codes: list[str]):
    return render_template("two_factor/recovery_codes.html", codes=codes)


def _browser() -> str:
    return request.user_agent.string
