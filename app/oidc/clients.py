"""Registered apps (docs/oidc.md, "Apps"): add, list, find, remove. The CLI (`gatehouse oidc`)
and the /apps page both come here.

A confidential app gets a random secret shown once; only its SHA-256 is kept (the secret is
32 random bytes, so a fast hash is enough, as for session tokens). A public app (`--public`,
a phone or single-page app that cannot keep a secret) has none and must use PKCE. Redirect
URIs are compared exactly, as registered. Removing an app deletes its codes and tokens with it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from authlib.oauth2.rfc6749 import ClientMixin
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import utcnow
from app.oidc.claims import SCOPES
from app.oidc.models import OidcClient, OidcCode, OidcToken

SIGNED_IN, TWO_FACTOR = "signed_in", "two_factor"
POLICIES = (SIGNED_IN, TWO_FACTOR)
DEFAULT_GROUPS = ("admins",)
MAX_URIS = 10
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}")
_GROUP = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")
_ORIGIN = re.compile(r"[a-z][a-z0-9+.-]*:(//[A-Za-z0-9.\-]+(:[0-9]{1,5})?|//\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?)?")
_NEVER = {"javascript", "data", "file", "vbscript", "about", "blob"}


class ClientRejected(ValueError):
    """What is wrong with an app's registration, in words for the admin."""


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class RegisteredClient(ClientMixin):
    """An app as Authlib asks about it (its ClientMixin), read once per request."""

    pk: int
    name: str
    client_id: str
    secret_hash: str | None = field(repr=False)
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    policy: str
    groups: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None

    @property
    def public(self) -> bool:
        return self.secret_hash is None

    @property
    def client_metadata(self) -> dict:  # read by Authlib's userinfo and end-session endpoints
        return {"post_logout_redirect_uris": list(self.post_logout_redirect_uris)}

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return self.redirect_uris[0] if len(self.redirect_uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        return " ".join(s for s in (scope or "").split() if s in SCOPES)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return self.secret_hash is not None and hmac.compare_digest(self.secret_hash, hash_secret(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "none" if self.public else method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


def _of(row: OidcClient) -> RegisteredClient:
    return RegisteredClient(
        row.id, row.name, row.client_id, row.secret_hash, tuple(row.redirect_uris.split()),
        tuple(row.post_logout_redirect_uris.split()), row.policy, tuple(g for g in row.groups.split(",") if g),
        row.created_at, row.last_used_at,
    )


def check_uri(uri: str, what: str = "redirect URI") -> str:
    """An absolute URI an app may be sent back to: http(s) with a host, or a native app's own
    scheme (`app.immich:/…`); no fragment, no spaces, nothing a browser would run."""
    if not uri or len(uri) > 2000 or any(ch.isspace() or not ch.isprintable() or ch == "\\" for ch in uri):
        raise ClientRejected(f"The {what} {uri[:80]!r} must be one URL without spaces.")
    scheme, sep, rest = uri.partition(":")
    if not sep or not _SCHEME.fullmatch(scheme) or scheme in _NEVER:
        raise ClientRejected(f"The {what} {uri[:80]!r} must start with https:// (or an app's own scheme).")
    if "#" in uri:
        raise ClientRejected(f"The {what} {uri[:80]!r} must not have a #fragment.")
    if scheme in ("http", "https"):
        authority = rest.removeprefix("//").split("/", 1)[0].split("?", 1)[0]
        if not rest.startswith("//") or not authority or "@" in authority:
            raise ClientRejected(f"The {what} {uri[:80]!r} must name a host, like https://grafana.example.org/login.")
    return uri


def _groups(groups: list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    values = tuple(dict.fromkeys(g.strip() for g in (groups or DEFAULT_GROUPS) if g.strip())) or DEFAULT_GROUPS
    bad = [g for g in values if not _GROUP.fullmatch(g)]
    if bad or len(values) > 20 or len(",".join(values)) > 512:
        raise ClientRejected("Groups are up to 20 names of letters, digits and . _ : - (comma-separated, "
                             "512 characters in all).")
    return values


def add(name: str, redirect_uris: list[str], post_logout_redirect_uris: list[str] | None = None, *,
        public: bool = False, policy: str = SIGNED_IN,
        groups: list[str] | tuple[str, ...] | None = None) -> tuple[RegisteredClient, str | None]:
    """Register an app: (the app, its secret shown once; None for a public app).
    :raise ClientRejected: a bad name, URI, policy or group, or the name is taken; nothing is stored."""
    name = (name or "").strip()
    if not _NAME.fullmatch(name):
        raise ClientRejected("The name is 1-64 letters, digits, spaces and . _ - (starting with a letter or digit).")
    uris = [check_uri(u.strip()) for u in redirect_uris if u.strip()]
    logout_uris = [check_uri(u.strip(), "post-logout redirect URI") for u in post_logout_redirect_uris or [] if u.strip()]
    if not uris:
        raise ClientRejected("Give at least one redirect URI (where the app receives the sign-in).")
    if len(uris) > MAX_URIS or len(logout_uris) > MAX_URIS:
        raise ClientRejected(f"At most {MAX_URIS} redirect URIs of each kind.")
    if policy not in POLICIES:
        raise ClientRejected(f"The policy is one of: {', '.join(POLICIES)}.")
    secret = None if public else secrets.token_urlsafe(32)
    row = OidcClient(name=name, client_id=secrets.token_urlsafe(18), secret_hash=hash_secret(secret) if secret else None,
                     redirect_uris="\n".join(dict.fromkeys(uris)),
                     post_logout_redirect_uris="\n".join(dict.fromkeys(logout_uris)), policy=policy,
                     groups=",".join(_groups(groups)), created_at=utcnow())
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ClientRejected(f"An app named {name!r} exists already; remove it first or choose another name.") from None
    return _of(row), secret


def origins() -> tuple[str, ...]:
    """Where the registered apps' redirect and post-logout URIs lead, as CSP sources
    (`https://host:port`, or `scheme:` for an app's own scheme)."""
    found: list[str] = []
    for row in db.session.execute(select(OidcClient.redirect_uris, OidcClient.post_logout_redirect_uris)):
        for uri in (row.redirect_uris + "\n" + row.post_logout_redirect_uris).split():
            scheme, _, rest = uri.partition(":")
            host = rest[2:].split("/", 1)[0].split("?", 1)[0] if rest.startswith("//") else ""
            origin = f"{scheme}://{host}" if host else f"{scheme}:"
            if _ORIGIN.fullmatch(origin):
                found.append(origin)
    return tuple(dict.fromkeys(found))


def listing() -> list[RegisteredClient]:
    return [_of(row) for row in db.session.scalars(select(OidcClient).order_by(OidcClient.name))]


def find(client_id: str | None) -> RegisteredClient | None:
    """The app with this client_id (Authlib's `query_client`), or None."""
    if not client_id or len(client_id) > 64:
        return None
    row = db.session.scalar(select(OidcClient).where(OidcClient.client_id == client_id))
    return _of(row) if row is not None else None


def by_pk(pk: int) -> RegisteredClient | None:
    row = db.session.get(OidcClient, pk)
    return _of(row) if row is not None else None


def used(client: RegisteredClient) -> None:
    """Note that the app signed someone in just now (the /apps page's "last use")."""
    db.session.execute(update(OidcClient).where(OidcClient.id == client.pk).values(last_used_at=utcnow()))
    db.session.commit()


def remove(name: str) -> bool:
    """Remove the app named `name` with its codes and tokens (they stop working at once);
    False when there is none."""
    row = db.session.scalar(select(OidcClient).where(OidcClient.name == name))
    if row is None:
        return False
    db.session.execute(delete(OidcToken).where(OidcToken.client_id == row.id))
    db.session.execute(delete(OidcCode).where(OidcCode.client_id == row.id))
    db.session.delete(row)
    db.session.commit()
    return True
