"""GATEHOUSE_NOTIFY_URLS: where notifications go, as Apprise URLs (docs/notifications.md).

A comma (or space) separated list, split the way Apprise splits it, so a URL whose own query
holds commas (`mailto://…?to=a@x.org,b@x.org`) stays whole. Each must be one Apprise can use;
a refusal names the entry by its number and scheme only: the rest of an address is often its
secret (a token, a password, an ntfy topic).
"""

from __future__ import annotations

import logging
import re
import warnings

_SCHEME = re.compile(r"[a-z][a-z0-9+.-]{0,20}", re.IGNORECASE)


def parse_notify_urls(raw: str) -> tuple[str, ...]:
    """The addresses in `raw` (empty: notifications are off). :raise ValueError: one is not usable."""
    if not raw.strip():
        return ()
    apprise = load_apprise()
    from apprise.utils.parse import parse_urls

    urls = tuple(parse_urls(raw))
    for number, url in enumerate(urls, start=1):
        if apprise.Apprise.instantiate(url) is None:
            scheme = url.partition("://")[0] if "://" in url else ""
            named = f" ({scheme}://…)" if _SCHEME.fullmatch(scheme) else ""
            raise ValueError(f"entry {number}{named} is not an Apprise URL Gatehouse can use "
                             "(docs/notifications.md lists the common ones)")
    return urls


def load_apprise():
    """The apprise module, imported only when notifications are on (loading its plugins takes about
    0.4 s), with its plugins loaded. Its e-mail plugin imports `imghdr`, deprecated in Python 3.11: that warning is
    Apprise's to fix, not ours to show."""
    # Apprise's lines may quote an address, secret and all: they never reach our log as written
    # (app/notify/sender.py keeps them during a delivery and logs a scrubbed reason).
    logging.getLogger("apprise").propagate = False
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, message=".*imghdr")
        import apprise
        from apprise.manager_plugins import NotificationManager

        NotificationManager().load_modules()  # the plugins, now (else at the first address, unguarded)
    return apprise
