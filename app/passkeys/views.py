"""Passkey ceremonies over JSON (static/js/passkeys.js drives them) and removal by a form.

- `POST /two-factor/passkeys/options` (signed in; form: current `password`, `name`): the
  password is a guarded check; → creation options.
- `POST /two-factor/passkeys` (signed in; the new credential as JSON) → stored.
- `POST /two-factor/passkeys/<id>/delete` (signed in; form) → removed.
- `POST /login/passkey/options` → request options (anyone: nothing is stored on the server).
- `POST /login/passkey` (the assertion as JSON): a guarded check; → a browser session. It
  completes the pending second step when there is one (then it goes where that step goes),
  or signs in on its own (user verification makes it two factors in one) and goes to `rd`
  or `next`, checked as the login form checks them; `remember=1`: keep me signed in. A browser
  that presents a live session (signing in again for an access rule's max_age) refreshes that
  session instead.

JSON answers are `{"next": url}` or `{"error", "message"}`, with `"field"` when a refusal is
about one form field (the page shows it there); every POST carries the CSRF token (in the
`X-CSRFToken` header for the JSON ones).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, request, url_for

from app.auth import pending
from app.extensions import limiter
from app.passkeys import challenges
from app.security.redirects import safe_next, safe_return
from app.services import login as login_service
from app.services import login_sessions, passkeys
from app.services.passkeys import PasskeyRejected, RelyingParty
from app.two_factor.forms import PasswordForm
from app.web import forward
from app.web import signed_in
from app.web.client import client_ip

bp = Blueprint("passkeys", __name__)
REGISTER, SIGN_IN = "register", "sign-in"


def relying_party() -> RelyingParty:
    """The portal's host and origin: GATEHOUSE_PUBLIC_URL's when set, else this request's
    (https when cookies are Secure: behind a TLS proxy the request itself may say http)."""
    public = current_app.config.get("GATEHOUSE_PUBLIC_URL") or ""
    if public:
        parts = urlsplit(public)
        return RelyingParty(id=parts.hostname or "", origin=f"{parts.scheme}://{parts.netloc}")
    scheme = "https" if current_app.config["GATEHOUSE_COOKIE_SECURE"] else request.scheme
    return RelyingParty(id=urlsplit(request.host_url).hostname or "", origin=f"{scheme}://{request.host}")


def _refused(status: int, message: str, field: str | None = None):
    """The JSON refusal; `field` names the form field it is about (the page shows it there)."""
    body = {"error": "passkey_refused", "message": message}
    if field:
        body["field"] = field
    return jsonify(body), status


def _credential() -> str:
    if request.mimetype != "application/json":
        abort(415, "Send the passkey answer as application/json.")
    return request.get_data(cache=False, as_text=True)


@bp.post("/two-factor/passkeys/options")
@signed_in.login_required
@limiter.guarded
def register_options():
    form = PasswordForm()
    name = (request.form.get("name") or "").strip()
    if not name:
        return _refused(400, "Give the passkey a name, such as the device it lives on.", "name")
    if not passkeys.password_for_registration(form.password.data or "", client_ip(), request.user_agent.string):
        return _refused(403, "The current password is incorrect.", "password")
    challenge = challenges.issue(REGISTER, name=name[: passkeys.MAX_NAME + 1])
    return current_app.response_class(passkeys.registration_options(relying_party(), challenge),
                                      mimetype="application/json")


@bp.post("/two-factor/passkeys")
@signed_in.login_required
def register():
    challenge, stored = challenges.take(REGISTER)
    if challenge is None:
        return _refused(400, "Start again: enter your password and a name first.")
    try:
        row = passkeys.register(relying_party(), challenge, _credential(), stored.get("name", ""))
    except PasskeyRejected as exc:
        return _refused(400, str(exc))
    passkeys.added(row.name, client_ip(), request.user_agent.string)
    flash("The passkey has been added.")
    return jsonify(next=url_for("two_factor.index"))


@bp.post("/two-factor/passkeys/<int:passkey_id>/delete")
@signed_in.login_required
def delete(passkey_id: int):
    if passkey_id > 2**63 - 1 or not passkeys.delete_one(passkey_id):
        abort(404, "No passkey has that id.")
    passkeys.removed(client_ip(), request.user_agent.string)
    flash("The passkey has been removed; it no longer signs in.")
    return redirect(url_for("two_factor.index"), 303)


@bp.post("/login/passkey/options")
def sign_in_options():
    challenge = challenges.issue(SIGN_IN)
    return current_app.response_class(passkeys.authentication_options(relying_party(), challenge),
                                      mimetype="application/json")


@bp.post("/login/passkey")
@limiter.guarded(issues_device=True)
def sign_in():
    credential = _credential()
    challenge, _stored = challenges.take(SIGN_IN)
    if passkeys.sign_in_check(relying_party(), challenge, credential, client_ip(), request.user_agent.string) is None:
        return _refused(401, "That passkey was not accepted. Try again, or use your password.")
    owed = pending.current()
    if owed is not None and not login_service.finish_pending(owed.ticket):
        owed = None  # finished already, or started with another password: the passkey signs in on its own
    rd = request.args.get("rd")
    if owed:
        target = owed.next
    else:
        target = safe_return(rd, forward.return_policy()) if rd else safe_next(request.args.get("next"))
    pending.finish()
    methods = (login_sessions.PASSWORD, login_sessions.PASSKEY) if owed else (login_sessions.PASSKEY,)
    # "Keep me signed in": ticked on the password form (it rode through the pending step), or on
    # /login beside the passkey button (static/js/passkeys.js adds `remember=1`).
    remember = owed.remember if owed else request.args.get("remember") == "1"
    # A browser that presents a live session signs it in again (an access rule's max_age), no new one.
    current = signed_in.current_session()
    started = login_service.complete(client_ip(), request.user_agent.string, methods, detail="passkey",
                                     remember=remember, reauthenticate=current.id if current is not None else None)
    if started is None:
        return jsonify(next=target)
    return signed_in.start_browser_session(jsonify(next=target), started)
