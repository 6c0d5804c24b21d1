"""`create_app`: the only place an app is born. It reads as the list of steps that build one.

Everything is imported at the top: the factory is what loads the application. Code that must
not load it (gunicorn.conf.py in gunicorn's master, wsgi.py's worker check) imports
`app.runtime.workers` alone, and `app/__init__.py` hands `create_app` on without importing
this module until it is asked for.
"""

from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import urlsplit

from flask import Flask

from app import cli, notify, signals
from app.account.views import bp as account_bp
from app.activity.views import bp as activity_bp
from app.api.views import bp as api_bp
from app.apps.views import bp as apps_bp
from app.auth.views import bp as auth_bp
from app.config import load_settings
from app.extensions import csrf, db, limiter, session_cache
from app.health.views import bp as health_bp
from app.notify import events as notify_events
from app.oidc import server as oidc_server
from app.oidc import subscribers as oidc_subscribers
from app.oidc.views import bp as oidc_bp
from app.passkeys.views import bp as passkeys_bp
from app.runtime import metrics
from app.runtime.gauges import add_gauge
from app.runtime.jobs import add_task
from app.ratelimit.extension import guard_of
from app.runtime.logs import configure_logging
from app.web.cookie_session import CookieSessionInterface
from app.services import activity, auth_log, login_sessions, master_password, one_time
from app.sessions.views import bp as sessions_bp
from app.setup.views import bp as setup_bp
from app.two_factor.views import bp as two_factor_bp
from app.edge import gates, page_cache
from app.edge.stack import install_edge, install_request_gates
from app.runtime import lifecycle
from app.web import access, client, csrf_token, errors, headers, page_urls, setup_gate, signed_in
from app.web.application import GatehouseFlask

CSRF_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BLUEPRINTS = (auth_bp, account_bp, activity_bp, sessions_bp, setup_bp, two_factor_bp, passkeys_bp, health_bp, api_bp,
              apps_bp)


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the app from GATEHOUSE_* settings; tests pass typed `overrides`."""
    app = GatehouseFlask("app", template_folder="../templates", static_folder="../static")
    configure(app, overrides)
    configure_logging(app.config["GATEHOUSE_LOG_FORMAT"])
    register_extensions(app)
    register_blueprints(app)
    errors.register(app)
    headers.register(app)
    register_subscribers(app)
    register_jobs(app)
    cli.register(app)
    install_edge(app)  # last: its shortcuts check every request hook the app has by now
    return app


def configure(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    app.session_interface = CookieSessionInterface()  # signing keys derived once, not per request
    settings = load_settings(overrides=overrides)
    app.config.update(settings)
    secure = settings["GATEHOUSE_COOKIE_SECURE"]
    app.config.update(
        SECRET_KEY=settings["GATEHOUSE_SECRET_KEY"],
        SECRET_KEY_FALLBACKS=[k for k in [settings["GATEHOUSE_SECRET_KEY_PREVIOUS"]] if k],
        # Flask's own signed cookie only carries the CSRF secret and flash messages.
        SESSION_COOKIE_NAME="__Host-gatehouse_csrf" if secure else "gatehouse_csrf",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=16 * 1024,
        MAX_FORM_MEMORY_SIZE=16 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # valid as long as the signed cookie that holds it
        WTF_CSRF_METHODS=CSRF_METHODS,  # flask-wtf's default, named here: the edge declares its hook with it
        PREFERRED_URL_SCHEME="https" if secure else "http",
        TRUSTED_HOSTS=trusted_hosts(app.config.get("GATEHOUSE_PUBLIC_URL") or "",
                                    app.config.get("GATEHOUSE_COOKIE_DOMAIN") or ""),
    )


def trusted_hosts(public_url: str, cookie_domain: str = "") -> list[str] | None:
    """With GATEHOUSE_PUBLIC_URL set, only its host, the hosts under GATEHOUSE_COOKIE_DOMAIN
    (a proxy's forward-auth call may carry the protected tool's Host) and loopback names
    (local probes, the CLI) may appear in `Host`: a forged one cannot shape absolute URLs.
    Unset: any host."""
    host = urlsplit(public_url).hostname if public_url else None
    if not host:
        return None
    return [host, *([f".{cookie_domain}"] if cookie_domain else []), "localhost", "127.0.0.1", "::1"]


def register_extensions(app: Flask) -> None:
    """Bind the extensions and the request helpers, passing each what it needs from the services
    (an extension never imports a service)."""
    db.init_app(app)
    client.init_app(app)
    page_urls.init_app(app)
    page_cache.init_app(app, enabled=app.config["GATEHOUSE_EDGE"])
    setup_gate.init_app(app, password_is_set=master_password.is_set)
    lifecycle.init_app(app)
    install_request_gates(app)  # the first before_request hooks (app/edge/stack.py)
    # Before CSRF: a refused guess costs no form parsing. Refusals feed the sign-in activity (batched).
    gates.adopt(app, "login limiter", lambda: limiter.init_app(
        app, db=db, password_epoch=master_password.epoch, on_refused=activity.note_blocked), methods={"POST"})
    gates.adopt(app, "CSRF", lambda: csrf.init_app(app), methods=CSRF_METHODS)
    csrf_token.init_app(app)  # the templates' csrf_token(): flask-wtf's token, its keys derived once
    session_cache.init_app(app)
    signed_in.init_app(app, validate=login_sessions.validate)
    oidc_server.init_app(app)  # only with GATEHOUSE_OIDC=1: makes or checks the signing key file
    access.init_app(app)  # the access rules (docs/access.md); a broken file stops start-up here
    notify.init_app(app, known_device=limiter.known_device)  # GATEHOUSE_NOTIFY_URLS (app/notify/)


def register_blueprints(app: Flask) -> None:
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    if app.config["GATEHOUSE_OIDC"]:  # off: no /oidc/ or discovery route at all (404)
        app.register_blueprint(oidc_bp)
    # The limiter's hooks act on its guarded views (app/edge/gates.py), known now.
    gates.restrict(app, "login limiter", endpoints={e for e, view in app.view_functions.items() if guard_of(view)})
    # Pages link their icons; this is for whatever asks the old fixed place (a redirect, no view).
    app.add_url_rule("/favicon.ico", "favicon", redirect_to="/static/img/favicon-32.png")


def register_subscribers(app: Flask) -> None:
    """Who hears each published outcome (app/signals.py), in the order they hear it."""
    subscribers = {
        signals.secret_checked: (limiter.settle, auth_log.on_checked, activity.on_checked, metrics.count_check),
        signals.signed_in: (auth_log.on_signed_in, activity.on_signed_in, notify_events.on_signed_in),
        signals.sessions_ended: (auth_log.on_sessions_ended, activity.on_sessions_ended,
                                 oidc_subscribers.on_sessions_ended),
        signals.account_changed: (activity.on_account_changed, oidc_subscribers.on_account_changed,
                                  notify_events.on_account_changed),
        signals.limiter_tripped: (notify_events.on_limiter_tripped,),
    }
    for signal, receivers in subscribers.items():
        for receiver in receivers:
            signal.connect(receiver, sender=app)


def register_jobs(app: Flask) -> None:
    """The purge tasks the instance-lease holder runs in the background (app/runtime/jobs.py),
    and the gauges it samples while metrics are on (app/runtime/gauges.py)."""
    add_task(app, "purge sessions", login_sessions.purge)
    add_task(app, "purge login limits", limiter.prune)
    add_task(app, "purge sign-in activity", activity.purge)  # older than GATEHOUSE_ACTIVITY_DAYS
    add_task(app, "purge app tokens", oidc_subscribers.purge)  # spent codes, dead tokens (docs/oidc.md)
    add_task(app, "purge one-time tickets", one_time.purge)  # expired sign-in steps and passkey challenges
    add_gauge(app, metrics.SESSIONS_ACTIVE, login_sessions.count_active)
    add_gauge(app, metrics.LIMITER_CLIENTS, limiter.clients)
