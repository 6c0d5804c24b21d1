"""RP-initiated logout (docs/oidc.md, "Signing out"): an app sends the browser to
/oidc/logout to end the Gatehouse session too.

Authlib's EndSessionEndpoint validates the request (the `id_token_hint` must be one we signed;
`post_logout_redirect_uri` must be registered for that app, exactly). With a valid hint the
browser is signed out at once; without one, a page asks first (a logout link anyone could
send is a nuisance otherwise) and its form carries our CSRF token. Signing out ends the session,
and with it every token it granted.
"""

from __future__ import annotations

from authlib.oauth2 import OAuth2Error
from flask import flash, make_response, redirect, render_template, request, url_for

from app.extensions import csrf
from app.oidc import server
from app.services import login as login_service
from app.web import signed_in
from app.web.client import client_ip

CARRIED = ("client_id", "post_logout_redirect_uri", "state")


def end_session():
    """The answer to /oidc/logout (GET or POST)."""
    oidc = server.state()
    try:
        validated = oidc.server.validate_endpoint_request("end_session")
    except OAuth2Error as error:
        return render_template("oidc/error.html", description=error.get_error_description() or error.error,
                               logout=True), 400
    except ValueError:
        return render_template("oidc/error.html", description="The request has characters no app sends.",
                               logout=True), 400
    if validated.needs_confirmation:
        if request.method != "POST":
            carried = {name: request.values.get(name) for name in CARRIED if request.values.get(name)}
            return render_template("oidc/logout.html", app_name=validated.client.name if validated.client else None,
                                   carried=carried, signed_in=signed_in.current_session() is not None)
        csrf.protect()  # our own confirmation form, never a cross-site one
    token = signed_in.presented_token()
    if token:
        login_service.logout(token, client_ip(), request.user_agent.string)
    response = oidc.server.create_endpoint_response("end_session", validated)
    if response is None:  # no (registered) place to return to
        flash("You have been signed out.")
        response = make_response(redirect(url_for("auth.login"), 303))
    response.headers["Clear-Site-Data"] = '"cache"'  # as /logout: the device cookie stays
    return signed_in.end_browser_session(response)
