"""What an error page says, in our words, and where it sends the person next.

Werkzeug's and flask-wtf's texts ("The CSRF session token is missing.") are written for
developers; a page shows its own title and message instead and keeps a description only
when our code wrote it (`abort(404, "No live session has that id.")`). Every page offers
a way forward: reload the form, sign in, or go to the start page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

from flask import current_app, request, url_for
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from app.security.redirects import safe_next

RELOAD, HOME, SIGN_IN = "Reload the page and try again", "Go to the start page", "Sign in"

# code: (title, message, action). The message is used when our code gave no description.
WORDS = {
    400: ("That request could not be used",
          "Gatehouse did not understand what the browser sent, so nothing was changed.", RELOAD),
    401: ("Sign in first", "This page is only for the signed-in administrator.", SIGN_IN),
    403: ("Not allowed", "Gatehouse did not allow that, and nothing was changed.", RELOAD),
    404: ("Page not found",
          "There is nothing at this address. It may be mistyped, or what it pointed to is gone.", HOME),
    405: ("Not possible here", "This address does not take that kind of request.", HOME),
    413: ("Too much at once",
          "The request was larger than Gatehouse accepts (16 KiB), so nothing was changed.", RELOAD),
    429: ("Too many attempts", "Too many failed attempts from here. Wait a little, then try again.", RELOAD),
    500: ("Something went wrong on our side",
          "The error has been logged. Try again; if it keeps happening, the server's log says more.", RELOAD),
    503: ("Not available just now", "Gatehouse cannot answer this just now. Try again in a moment.", RELOAD),
}
UNBLOCK_HINT = Markup("Locked yourself out? On the server, <code>gatehouse unblock</code> with this "
                      "address lifts its block now (<code>--all</code>: every block).")
# CSRF tokens do not expire by time (WTF_CSRF_TIME_LIMIT=None): a failure means the cookie
# that holds the form's secret did not come back, or the secret key changed.
CSRF = ("This form has expired",
        "For safety, Gatehouse did not act on it. That happens when this site's cookies were blocked "
        "or cleared after the page was loaded, or when Gatehouse was reconfigured meanwhile.")
NEEDS_HTTPS = ("This page needs HTTPS",
               "Gatehouse sets Secure cookies, and browsers send those back only over HTTPS, "
               "so this form sent over plain HTTP could not be checked.")


@dataclass
class ErrorPage:
    code: int
    title: str
    message: str
    action_text: str
    action_href: str
    hint: Markup | None = None


def describe(error: HTTPException) -> ErrorPage:
    """The page for `error`: our words, its own description only where our code wrote one."""
    code = error.code or 500
    title, message, action = WORDS.get(code, (error.name, "", HOME))
    own = error.description if error.description != type(error).description else None
    if isinstance(error, CSRFError):
        title, message, action = (*CSRF, RELOAD)
    elif code == 429 and retry_seconds(error) is not None:
        message = f"Too many failed attempts from here. Try again {wait_in_words(retry_seconds(error))}."
    elif own and code != 500:
        message = own
    page = ErrorPage(code, title, message, action, _href(action))
    if code == 429 and (retry_seconds(error) or 0) >= 60:  # a block, not a short backoff: how to lift it
        page.hint = UNBLOCK_HINT
    if isinstance(error, CSRFError) and secure_cookies_over_http():
        page.title, page.message = NEEDS_HTTPS
        page.action_text, page.action_href = "Open it over HTTPS", _https(page.action_href)
        page.hint = Markup("For a test on this machine only, set <code>GATEHOUSE_COOKIE_SECURE=0</code> "
                           "and restart Gatehouse.")
    return page


def wait_in_words(seconds: float) -> str:
    """"in a moment", "in 40 seconds", "in 15 minutes", "in 3 hours": rounded up, never sooner than true."""
    seconds = max(0, math.ceil(seconds))
    if seconds <= 2:
        return "in a moment"
    if seconds < 60:
        return f"in {seconds} seconds"
    minutes = math.ceil(seconds / 60)
    if minutes < 120:  # "in 90 minutes" says more than "in 2 hours"
        return "in 1 minute" if minutes == 1 else f"in {minutes} minutes"
    return f"in {math.ceil(minutes / 60)} hours"


def secure_cookies_over_http() -> bool:
    """Secure cookies are on but the browser shows this page over plain HTTP, so they never come back.

    The browser's own Origin (or Referer) tells how it reached us even behind a proxy that
    does not pass the scheme on; without either, the request's scheme decides.
    """
    if not current_app.config["GATEHOUSE_COOKIE_SECURE"]:
        return False
    seen_as = request.headers.get("Origin") or request.referrer
    if seen_as and seen_as != "null":
        return urlsplit(seen_as).scheme == "http"
    return not request.is_secure


def _href(action: str) -> str:
    if action == SIGN_IN:
        return url_for("auth.login", next=safe_next(request.full_path.rstrip("?")))
    if action == HOME:
        return "/"
    return _reload_target()


def _https(path: str) -> str:
    """This address as the browser named it, over HTTPS on its default port."""
    host = urlsplit(request.headers.get("Origin") or "").hostname or urlsplit("//" + request.host).hostname or ""
    return f"https://{f'[{host}]' if ':' in host else host}{path}"


def _reload_target() -> str:
    """The page the failed request came from (a same-site Referer), else this address if it
    can be fetched, else the start page: reloading shows a fresh form."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path:
        return safe_next(referrer.path + (f"?{referrer.query}" if referrer.query else ""))
    if request.method == "GET":
        return safe_next(request.full_path.rstrip("?"))
    if request.url_rule is not None and "GET" in (request.url_rule.methods or ()):
        return safe_next(request.path)
    return "/"


def retry_seconds(error: HTTPException) -> float | None:
    """The error's Retry-After in seconds (Werkzeug keeps seconds or a datetime), if it has one."""
    value = getattr(error, "retry_after", None)
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.timestamp() - datetime.now(timezone.utc).timestamp()
    return float(value)
