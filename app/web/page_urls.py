"""`url_for` for templates, with the fixed links remembered.

Every page links the same fixed URLs (the stylesheet, the icons, the nav: a dozen on a
signed-in page) and werkzeug builds each anew on every render, which cost a quarter of the
home page's time (docs/performance.md). A link without arguments, or a static file, depends
only on the endpoint, the file and where the app is mounted (`SCRIPT_NAME`), so it is built
once per mount point; a link with arguments (`next=`, an id) is built as before.
"""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request, url_for

from app.bounded_cache import BoundedCache

_FIXED = "gatehouse.page_urls"
_MAX = 512  # links come from the templates, not from requests: a few dozen; bounded anyway


def init_app(app: Flask) -> None:
    app.extensions[_FIXED] = BoundedCache(_MAX)
    app.jinja_env.globals["url_for"] = page_url


def page_url(endpoint: str, **values) -> str:
    fixed = not values or (endpoint == "static" and values.keys() == {"filename"})
    if not fixed or endpoint.startswith(".") or not has_request_context():
        return url_for(endpoint, **values)
    key = (request.script_root, endpoint, values.get("filename"))
    return current_app.extensions[_FIXED].get_or_make(key, lambda: url_for(endpoint, **values))
