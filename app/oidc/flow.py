"""The authorization request (docs/oidc.md, "Signing in to an app"): Authlib validates it, we
decide who signs in.

No session (or `prompt=login`, an older sign-in than `max_age`, a password-only session for an
app with the `two_factor` policy) sends the browser through Gatehouse's own /login (limiter,
device cookies, codes, passkeys), with the authorization request as its local `next`; a browser
that is signed in already signs in again there, which refreshes its session. `prompt=none`
answers `login_required` instead. The admin registered every app, so there is no consent page.
"""

from __future__ import annotations

from urllib.parse import urlencode

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oidc.core.errors import LoginRequiredError
from flask import redirect, render_template, request, url_for

from app.cache import CachedSession
from app.models import utcnow
from app.oidc import clients, server
from app.oidc.claims import Grantor
from app.services import activity, login_sessions, passkeys, two_factor
from app.web.client import client_ip

MAX_PARAMETER = 512  # state and nonce: longer ones are not an app's honest values


def authorize(current: CachedSession | None):
    """The answer to GET /oidc/authorize: a redirect to the app (a code, or an error it should
    see), to /login, or a page saying what is wrong with a link no app should have sent."""
    oidc = server.state()
    try:
        grant = oidc.server.get_consent_grant(end_user=current)  # prompt=none without a session: login_required
        _check_lengths(grant)
        max_age = _max_age(grant)
    except OAuth2Error as error:
        return _refuse(oidc, error)
    except ValueError:  # Authlib refuses to build an error description from some characters (RFC 6749 §4.1.2.1)
        return render_template("oidc/error.html", description="The request has characters no app sends."), 400
    client: clients.RegisteredClient = grant.client
    prompts = (request.args.get("prompt") or "").split()
    fresh_enough = current is not None and (max_age is None or _age(current) <= max_age)
    needs_second = client.policy == clients.TWO_FACTOR and not (
        current is not None and login_sessions.has_second_factor(current.methods))
    if current is None or "login" in prompts or not fresh_enough or needs_second:
        if "none" in prompts:
            return _refuse(oidc, LoginRequiredError(redirect_uri=grant.redirect_uri))
        if needs_second and current is not None and not two_factor.required():
            return _second_factor_needed(client, passkeys.count() > 0)
        return redirect(_login_url(current is not None), 303)
    grantor = Grantor(current.id, current.methods, current.authenticated_at or utcnow(), client.groups)
    response = oidc.server.create_authorization_response(grant=grant, grant_user=grantor)
    if response.status_code == 302 and "code=" in (response.location or ""):
        clients.used(client)
        activity.record(activity.APP_SIGNED_IN, client_ip(), request.user_agent.string, detail=client.name,
                        session_id=current.id)
    return response


def _age(current: CachedSession) -> float:
    return (utcnow() - (current.authenticated_at or current.expires_at)).total_seconds()


def _max_age(grant) -> int | None:
    raw = request.args.get("max_age")
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 10:
        raise InvalidRequestError("max_age must be a number of seconds.", redirect_uri=grant.redirect_uri)
    return int(raw)


def _check_lengths(grant) -> None:
    for name in ("state", "nonce"):
        if len(request.args.get(name) or "") > MAX_PARAMETER:
            raise InvalidRequestError(f"{name} is longer than {MAX_PARAMETER} characters.",
                                      redirect_uri=grant.redirect_uri)


def _login_url(signed_in: bool) -> str:
    """/login with this request as `next`, minus `prompt` and `max_age`: the sign-in that follows
    satisfies them, and keeping them would ask again for ever."""
    kept = [(k, v) for k, v in request.args.items(multi=True) if k not in ("prompt", "max_age")]
    target = f"{request.path}?{urlencode(kept)}"
    return url_for("auth.login", next=target, reauth=1 if signed_in else None)


def _refuse(oidc: server.OidcState, error: OAuth2Error):
    """An error the app should see goes back to its (registered) redirect URI, with `iss`; one
    whose app or redirect URI is unknown must not be sent anywhere: a page says what is wrong."""
    if getattr(error, "redirect_uri", None):
        error.state = request.args.get("state")
        response = oidc.server.handle_error_response(None, error)
        oidc.issuer_parameter.add_issuer_parameter(oidc.server, response)
        return response
    return render_template("oidc/error.html", description=error.get_error_description() or error.error), 400


def _second_factor_needed(client: clients.RegisteredClient, has_passkeys: bool):
    return render_template("oidc/second_factor.html", app_name=client.name, has_passkeys=has_passkeys,
                           login_url=_login_url(True)), 403
