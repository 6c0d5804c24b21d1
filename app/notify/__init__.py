"""Notifications (SPEC §17, docs/notifications.md): the admin is told through Apprise (ntfy, Gotify,
e-mail, a webhook…) when something happens that they should know of at once.

- sender.py: the bounded queue and background thread, the throttle (one message per kind per
  10 minutes), retries, delivery through Apprise;
- throttle.py: the same throttle shared in Redis by every process, when several serve;
- events.py: the subscribers of the published outcomes (app/signals.py), which decide what is
  worth a message and word it; connected in app/factory.py's `register_subscribers`.

`init_app` builds this app's sender from GATEHOUSE_NOTIFY_URLS (empty: a sender that sends
nothing). What it needs from the login limiter (whether this request's browser presented a
valid device cookie) is passed in by the factory: it imports no extension.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from flask import Flask, current_app

from app.notify.sender import THROTTLE_SECONDS, Message, Notifier, targets_of
from app.notify.throttle import SharedThrottle
from app.redis_client import client_from_config
from app.runtime.workers import state_is_shared

__all__ = ["Message", "Notifier", "init_app", "notifier", "state"]

_STATE = "gatehouse.notify"


@dataclass(frozen=True)
class NotifyState:
    notifier: Notifier
    known_device: Callable[[], bool | None]  # None: not a guarded request (the command line)
    site: str  # which install this is, for the title: the public host, else the machine's name


def init_app(app: Flask, known_device: Callable[[], bool | None]) -> None:
    urls = app.config["GATEHOUSE_NOTIFY_URLS"]
    public = app.config.get("GATEHOUSE_PUBLIC_URL") or ""
    site = urlsplit(public).netloc if public else socket.gethostname()
    shared = None
    if urls and state_is_shared(app.config):  # several processes: one throttle for all, in Redis
        shared = SharedThrottle(client_from_config(app.config, "GATEHOUSE_NOTIFY_URLS"),
                                app.config["GATEHOUSE_REDIS_PREFIX"], THROTTLE_SECONDS)
    app.extensions[_STATE] = NotifyState(Notifier(targets_of(urls) if urls else [], shared=shared), known_device, site)


def state() -> NotifyState:
    return current_app.extensions[_STATE]


def notifier() -> Notifier:
    return state().notifier
