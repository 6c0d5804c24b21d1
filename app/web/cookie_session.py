"""Flask's signed-cookie session (the `gatehouse_csrf` cookie: the CSRF secret, flashed messages and
a pending second step), made cheaper where every visitor pays for it (docs/performance.md):

- its serializer is built once per set of keys (Flask builds a new one on every request), on
  signers that derive their keys once and prepare each key's HMAC once
  (app/security/signing.py); the same HMAC-SHA1 as Flask's, so the same cookies;
- a session that holds nothing but the CSRF secret (a first visit to a form: docs/security.md,
  "CSRF") is written as the secret itself, signed and timestamped (`<secret>.<time>.<signature>`,
  salt `gatehouse.csrf-secret`), instead of through Flask's serializer (tagged JSON, a zlib
  attempt, base64), which cost a first `GET /login` more than a fifth of its time. It is read
  back as the same session, `{"csrf_token": secret}`, with the same keys (the previous one
  too), the same age limit (PERMANENT_SESSION_LIFETIME) and the same cookie attributes; any
  other content, flashed messages for instance, is written Flask's way;
- `Vary: Cookie` is set as a plain header when the response has no `Vary` yet (werkzeug's
  `response.vary` parses and rebuilds the header set each time), and the cookie's header is
  made as `response.set_cookie` makes it, its size limit read once.

Nothing about a visitor is stored on the server either way: the secret lives in the cookie.
"""

from __future__ import annotations

import hashlib
import re

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.http import dump_cookie

from app.security.signing import KeyedTimestampSigner

CSRF_FIELD = "csrf_token"  # flask-wtf's key for the secret (WTF_CSRF_FIELD_NAME, app/web/csrf_token.py)
SECRET_SALT = "gatehouse.csrf-secret"
# flask-wtf's secret: a SHA-1 in hex. Flask's own cookie value starts with base64 of `{` ("ey") or
# with "." (compressed): it can never look like this.
_SECRET = re.compile(r"[0-9a-f]{40}")
_SECRET_ONLY = re.compile(r"[0-9a-f]{40}\.")


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, its serializer built once, a CSRF-only session written compactly."""

    digest_method = staticmethod(hashlib.sha1)  # Flask's default (its `_lazy_sha1`), called directly
    _built: tuple[tuple, URLSafeTimedSerializer | None, KeyedTimestampSigner | None] | None = None

    def _signers(self, app: Flask) -> tuple[URLSafeTimedSerializer | None, KeyedTimestampSigner | None]:
        """(Flask's serializer, the CSRF secret's signer) for the app's current keys."""
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        built = self._built
        if built is None or built[0] != keys:
            serializer = super().get_signing_serializer(app)
            secret_signer = None
            if serializer is not None:
                serializer.signer = KeyedTimestampSigner
                secret_signer = KeyedTimestampSigner(serializer.secret_keys, salt=SECRET_SALT,
                                                     digest_method=hashlib.sha256)
            built = self._built = (keys, serializer, secret_signer)
        return built[1], built[2]

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        return self._signers(app)[0]

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        serializer, secret_signer = self._signers(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            if _SECRET_ONLY.match(value):
                return self.session_class({CSRF_FIELD: secret_signer.unsign(value, max_age=max_age).decode("ascii")})
            return self.session_class(serializer.loads(value, max_age=max_age))
        except BadSignature:
            return self.session_class()

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Flask's `save_session`, with the CSRF-only session written compactly and a cheaper `Vary`."""
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        secure = self.get_cookie_secure(app)
        partitioned = self.get_cookie_partitioned(app)
        samesite = self.get_cookie_samesite(app)
        httponly = self.get_cookie_httponly(app)

        if session.accessed:
            _vary_cookie(response)

        if not session:
            if session.modified:
                response.delete_cookie(name, domain=domain, path=path, secure=secure, partitioned=partitioned,
                                       samesite=samesite, httponly=httponly)
                _vary_cookie(response)
            return

        if not self.should_set_cookie(app, session):
            return

        secret = dict.get(session, CSRF_FIELD)  # dict's own get: reading it here is no access by the app
        if len(session) == 1 and isinstance(secret, str) and _SECRET.fullmatch(secret):
            value = self._signers(app)[1].sign(secret).decode("ascii")
        else:
            value = self.get_signing_serializer(app).dumps(dict(session))
        # What `response.set_cookie` does, with the size limit read from `app` (Flask's Response
        # reads it through the `current_app` proxy, twice).
        response.headers.add("Set-Cookie", dump_cookie(
            name, value, expires=self.get_expiration_time(app, session), path=path, domain=domain, secure=secure,
            httponly=httponly, max_size=app.config["MAX_COOKIE_SIZE"], samesite=samesite, partitioned=partitioned))
        _vary_cookie(response)


def _vary_cookie(response: Response) -> None:
    """`response.vary.add("Cookie")`, without parsing and rebuilding the header when it is absent or
    already says just that."""
    current = response.headers.getlist("Vary")  # werkzeug's `get` of a missing header raises and catches
    if not current:
        response.headers.add("Vary", "Cookie")  # what setting it does when there is none
    elif current != ["Cookie"]:
        response.vary.add("Cookie")
