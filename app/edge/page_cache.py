"""Pages rendered once per key and served from memory after that (docs/performance.md).

Rendering (Jinja, and WTForms for form fields) was three quarters of the home page's CPU
and five sixths of the sign-in form's: each is loaded far more often than it changes. A
view passes `cached_page` a key that names everything its page shows (the home page: the
session and its activity summary; the sign-in form: where it returns to); the rest of what
a page takes from the request is handled here:

- the mount point (`SCRIPT_NAME`) is part of every key;
- a request with flashed messages renders afresh (and so takes them);
- the CSRF token, which differs per browser, is rendered as a placeholder and this request's
  token is put in its place (the placeholder is random per process: no page or visitor
  can contain it otherwise).

Entries are kept least recently used first, at most `MAX_PAGES` per process: keys such as
a return address come from visitors (app/bounded_cache.py). With the edge off
(GATEHOUSE_EDGE=off, app/edge/stack.py) every page is rendered afresh.
"""

from __future__ import annotations

import secrets
from typing import Any, Callable, Hashable

from flask import Flask, current_app, g, render_template, request
from flask import session as flask_session
from app.bounded_cache import BoundedCache
from app.web.csrf_token import generate_csrf

MAX_PAGES = 256
_PAGES = "gatehouse.page_cache"
_FLASHES = "_flashes"  # where Flask keeps flashed messages in its session
_TOKEN = "csrf_token"  # flask-wtf keeps this request's token in `g` under its field name


class KeptPages:
    """This app's rendered pages, and the placeholder its pages carry for the CSRF token."""

    def __init__(self) -> None:
        self.entries = BoundedCache(MAX_PAGES)
        self.placeholder = secrets.token_hex(16)


def init_app(app: Flask, enabled: bool) -> None:
    if enabled:
        app.extensions[_PAGES] = KeptPages()


def cached_page(template: str, key: Hashable, context: Callable[[], dict[str, Any]]) -> str:
    """`render_template(template, **context())`, from memory when this key was rendered before
    (`context` is called only to render)."""
    # Each proxy resolved once: an attribute read through one costs more than the lookup below.
    pages: KeptPages | None = current_app._get_current_object().extensions.get(_PAGES)
    if pages is None or flask_session._get_current_object().get(_FLASHES):
        return render_template(template, **context())
    entry = (template, request._get_current_object().script_root, key)
    html = pages.entries.get(entry)
    if html is None:
        html = _render(pages, template, context)
        token = g.get(_TOKEN)
        if not (token and token in html):  # a token not from csrf_token() (a form's own field): never kept
            pages.entries.put(entry, html)
    return html.replace(pages.placeholder, generate_csrf()) if pages.placeholder in html else html


def _render(pages: KeptPages, template: str, context: Callable[[], dict[str, Any]]) -> str:
    """The page with the placeholder where `csrf_token()` would put this request's token."""
    token = g.pop(_TOKEN, None)
    setattr(g, _TOKEN, pages.placeholder)  # what flask-wtf's generate_csrf() returns from now on
    try:
        return render_template(template, **context())
    finally:
        g.pop(_TOKEN, None)
        if token is not None:
            setattr(g, _TOKEN, token)
