"""The notification sender: a bounded queue, one background thread, at most one message per kind
per 10 minutes, a few retries, through Apprise (docs/notifications.md).

A sign-in never waits for a notification: `send` only checks the throttle and puts the message
on the queue (dropped, with a warning, when the queue is full); the thread delivers it to every
address, retries the addresses that failed a few times, and logs what never arrived. `deliver`
is the same delivery done at once, for `gatehouse notify test`.

Apprise's own log lines may quote an address, and an address holds its token or password, so
they never reach our log as written: they are kept while a message is delivered, stripped of
anything that appears in an address, and only then logged as the reason a delivery failed.
"""

from __future__ import annotations

import atexit
import logging
import queue
import re
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable

from app.config.notify_urls import load_apprise
from app.notify.throttle import SharedThrottle

log = logging.getLogger("gatehouse.notify")

THROTTLE_SECONDS = 600.0  # one message per kind per 10 minutes (SPEC §17)
RETRY_DELAYS = (5.0, 30.0, 120.0)  # after the first try: four tries in about 2.5 minutes
QUEUE_SIZE = 100
DRAIN_SECONDS = 10.0  # at process exit (the CLI, a stopping worker): how long unsent messages may take
_PARTS = re.compile(r"[/:@?&=#,;+%]+")


@dataclass(frozen=True)
class Message:
    """One notification. `kind` is what the throttle counts by ("new browser", "recovery code", …);
    `level` is Apprise's notify type (info, success, warning, failure)."""

    kind: str
    title: str
    body: str
    level: str = "warning"
    held: int = 0  # messages of this kind not sent since the last one (the throttle), said at the end


@dataclass
class Target:
    """One address of GATEHOUSE_NOTIFY_URLS, as Apprise built it; `name` is safe to log ("3 (ntfy)")."""

    name: str
    plugin: object
    secrets: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Delivery:
    target: str
    arrived: bool
    reason: str | None = None  # why not, from Apprise's log, with every part of the address taken out


def targets_of(urls: Iterable[str]) -> list[Target]:
    """Apprise's plugin for each address (checked already by the settings, app/config/notify_urls.py)."""
    apprise = load_apprise()
    found = []
    for number, url in enumerate(urls, start=1):
        plugin = apprise.Apprise.instantiate(url)
        if plugin is not None:
            after_scheme = url.partition("://")[2]
            parts = tuple(sorted({p for p in _PARTS.split(after_scheme) if len(p) >= 4}, key=len, reverse=True))
            found.append(Target(f"{number} ({plugin.service_name})", plugin, parts))
    return found


class _Kept(logging.Handler):
    """Apprise's log lines during one delivery (only the sender thread delivers)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            self.lines.append(record.getMessage())


def _apprise_logger() -> logging.Logger:
    """Apprise's logger, kept out of ours by `load_apprise`: its lines may quote an address."""
    logger = logging.getLogger("apprise")
    logger.propagate = False
    if logger.level == logging.NOTSET or logger.level > logging.WARNING:
        logger.setLevel(logging.WARNING)  # its warnings are the reasons a delivery failed
    return logger


class Notifier:
    def __init__(self, targets: list[Target], *, throttle: float = THROTTLE_SECONDS,
                 retry_delays: tuple[float, ...] = RETRY_DELAYS, queue_size: int = QUEUE_SIZE,
                 clock: Callable[[], float] = time.monotonic, shared: SharedThrottle | None = None) -> None:
        self.targets = targets
        self.shared = shared  # every process's throttle, with several on Redis (app/notify/throttle.py)
        self.throttle = throttle
        self.retry_delays = retry_delays
        self.clock = clock
        self._queue: queue.Queue[Message] = queue.Queue(queue_size)
        self._lock = threading.Lock()
        self._last_sent: dict[str, float] = {}
        self._held: dict[str, int] = {}  # messages of a kind not sent inside its 10 minutes
        self._thread: threading.Thread | None = None
        self._hurry = threading.Event()  # set at exit: retry at once instead of waiting
        self._deliver_lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return bool(self.targets)

    def send(self, message: Message) -> bool:
        """Queue `message` unless its kind was sent within the throttle; never blocks. True if queued."""
        if not self.targets:
            return False
        with self._lock:
            now = self.clock()
            last = self._last_sent.get(message.kind)
            if last is not None and now - last < self.throttle:
                self._held[message.kind] = self._held.get(message.kind, 0) + 1
                return False
            held = self._held.pop(message.kind, 0)
            self._last_sent[message.kind] = now
            self._start()
        if held:
            message = replace(message, held=held)
        try:
            self._queue.put_nowait(message)
        except queue.Full:
            log.warning("notification dropped, the queue is full: %s", message.kind,
                        extra={"event": "notify_dropped", "kind": message.kind})
            return False
        return True

    def _start(self) -> None:
        """The sender thread, started with the first message (in the process that sends it: after
        gunicorn's fork, never before)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self._run, name="gatehouse-notify", daemon=True)
        self._thread.start()
        atexit.register(self.drain)

    def _run(self) -> None:
        while True:
            message = self._queue.get()
            try:
                if self.shared is not None:
                    elsewhere = self.shared.claim(message.kind)
                    if elsewhere is None:  # another process sent this kind within the throttle
                        continue
                    message = replace(message, held=message.held + elsewhere)
                self._deliver_with_retries(message)
            except Exception:  # noqa: BLE001 - the thread must live on; the failure is logged
                log.exception("notification failed: %s", message.kind, extra={"event": "notify_error"})
            finally:
                self._queue.task_done()

    def _deliver_with_retries(self, message: Message) -> None:
        pending = self.targets
        for attempt, delay in enumerate((0.0, *self.retry_delays)):
            if delay and not self._hurry.is_set():
                self._hurry.wait(delay)
            results = self._deliver_to(pending, message)
            pending = [t for t, r in zip(pending, results) if not r.arrived]
            for result in results:
                if result.arrived:
                    log.info("notification sent to %s: %s", result.target, message.kind,
                             extra={"event": "notify_sent", "target": result.target, "kind": message.kind})
                else:
                    final = attempt == len(self.retry_delays)
                    log.warning("notification to %s %s: %s (%s)", result.target,
                                "not delivered after %d tries" % (attempt + 1) if final else "failed, will retry",
                                message.kind, result.reason or "no reason given",
                                extra={"event": "notify_failed", "target": result.target, "kind": message.kind,
                                       "final": final})
            if not pending:
                return

    def deliver(self, message: Message) -> list[Delivery]:
        """Send `message` to every address now, once; whether it arrived at each (`gatehouse notify test`)."""
        return self._deliver_to(self.targets, message)

    def _deliver_to(self, targets: list[Target], message: Message) -> list[Delivery]:
        return [self._deliver_one(target, message) for target in targets]

    def _deliver_one(self, target: Target, message: Message) -> Delivery:
        logger, kept = _apprise_logger(), _Kept()
        with self._deliver_lock:  # one delivery at a time: the kept lines are this delivery's
            logger.addHandler(kept)
            try:
                arrived = bool(target.plugin.notify(body=self._body(message), title=message.title,
                                                    notify_type=message.level))
            except Exception as exc:  # noqa: BLE001 - a plugin's bug is one failed delivery
                arrived, kept.lines = False, [type(exc).__name__]
            finally:
                logger.removeHandler(kept)
        return Delivery(target.name, arrived, None if arrived else _scrub(kept.lines, target.secrets))

    def _body(self, message: Message) -> str:
        if not message.held:
            return message.body
        return (message.body + f"\n\n({message.held} more like this in the last {int(self.throttle // 60)} minutes"
                " were not sent.)")

    def drain(self, timeout: float = DRAIN_SECONDS) -> bool:
        """At exit: retries stop waiting, and wait (at most `timeout` seconds) until every queued
        message was delivered or given up. False if some were still unsent."""
        self._hurry.set()
        return self.wait_idle(timeout)

    def wait_idle(self, timeout: float) -> bool:
        """Wait (at most `timeout` seconds) until the queue is empty and nothing is being delivered."""
        deadline = time.monotonic() + timeout
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    log.warning("%d notification(s) not sent before exit", self._queue.unfinished_tasks,
                                extra={"event": "notify_unsent"})
                    return False
                self._queue.all_tasks_done.wait(remaining)
        return True


def _scrub(lines: list[str], secrets: tuple[str, ...]) -> str | None:
    """Apprise's last reason, without any URL and without any part of the address."""
    if not lines:
        return None
    text = re.sub(r"[a-z][a-z0-9+.-]*://\S*", "<address>", lines[-1], flags=re.IGNORECASE)
    for part in secrets:
        text = text.replace(part, "***")
    return text[:300]
