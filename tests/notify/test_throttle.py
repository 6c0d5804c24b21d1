"""The throttle shared in Redis (app/notify/throttle.py): several processes send one message per
kind per window between them, the held ones are counted, and an unreachable Redis lets messages go.
Two senders stand for two worker processes, each with its own SharedThrottle and client."""

from __future__ import annotations

import signal
import time

from app.notify import notifier
from app.notify.sender import Message, Notifier, Target
from app.notify.throttle import SharedThrottle
from app.redis_client import connect
from tests.support.notify import Plugin
from tests.support.receiver import Receiver

WINDOW = 0.5  # seconds: short, so the test sees the window end


def sender_on(redis_url: str, prefix: str, plugin: Plugin) -> Notifier:
    return Notifier([Target("1 (fake)", plugin)], throttle=WINDOW,
                    shared=SharedThrottle(connect(redis_url), prefix, WINDOW))


def test_two_processes_send_one_message_per_kind_and_the_next_counts_what_was_held(redis_url, redis_prefix):
    first, second = Plugin(), Plugin()
    a, b = sender_on(redis_url, redis_prefix, first), sender_on(redis_url, redis_prefix, second)
    assert a.send(Message("new browser", "A", "from a")) and a.wait_idle(10)
    assert b.send(Message("new browser", "B", "from b")) and b.wait_idle(10)  # queued here, held in Redis
    assert b.send(Message("recovery code", "B", "other kind")) and b.wait_idle(10)
    assert [title for title, _body, _type in first.seen] == ["A"]
    assert [title for title, _body, _type in second.seen] == ["B"]  # only the other kind

    time.sleep(WINDOW + 0.1)
    assert b.send(Message("new browser", "B", "again")) and b.wait_idle(10)
    title, body, _type = second.seen[-1]
    assert title == "B" and body == "again\n\n(1 more like this in the last 0 minutes were not sent.)"


def test_what_one_process_held_itself_and_what_others_held_add_up(redis_url, redis_prefix):
    plugin, other = Plugin(), Plugin()
    a, b = sender_on(redis_url, redis_prefix, plugin), sender_on(redis_url, redis_prefix, other)
    assert a.send(Message("password", "A", "first")) and a.wait_idle(10)
    assert not a.send(Message("password", "A", "held here"))  # this process's own throttle
    assert b.send(Message("password", "B", "held in Redis")) and b.wait_idle(10)
    time.sleep(WINDOW + 0.1)
    assert a.send(Message("password", "A", "next")) and a.wait_idle(10)
    assert plugin.seen[-1][1] == "next\n\n(2 more like this in the last 0 minutes were not sent.)"
    assert other.seen == []


def test_an_unreachable_redis_lets_the_message_go_and_says_so(redis_server, caplog):
    plugin = Plugin()
    sender = Notifier([Target("1 (fake)", plugin)], throttle=WINDOW,
                      shared=SharedThrottle(connect(redis_server.url), "gatehouse-test:", WINDOW))
    redis_server.stop()
    assert sender.send(Message("new browser", "title", "body")) and sender.wait_idle(10)
    assert [title for title, _body, _type in plugin.seen] == ["title"]
    assert any(getattr(r, "event", None) == "notify_throttle_unreachable" for r in caplog.records)


def test_a_stalled_redis_holds_the_sender_thread_not_the_caller(redis_server):
    plugin = Plugin()
    sender = Notifier([Target("1 (fake)", plugin)], throttle=WINDOW,
                      shared=SharedThrottle(connect(redis_server.url), "gatehouse-test:", WINDOW))
    redis_server.process.send_signal(signal.SIGSTOP)
    try:
        assert sender.send(Message("new browser", "title", "body"))  # queued: send() never asks Redis
        assert sender._queue.unfinished_tasks == 1 and plugin.seen == []
    finally:
        redis_server.process.send_signal(signal.SIGCONT)
    assert sender.wait_idle(10)
    assert [title for title, _body, _type in plugin.seen] == ["title"]


def test_the_app_shares_the_throttle_only_when_several_processes_may_serve(make_app, redis_url, redis_prefix):
    receiver = Receiver()
    try:
        shared = make_app(GATEHOUSE_NOTIFY_URLS=(receiver.url,), GATEHOUSE_CACHE="redis",
                          GATEHOUSE_REDIS_URL=redis_url, GATEHOUSE_REDIS_PREFIX=redis_prefix)
        alone = make_app(GATEHOUSE_NOTIFY_URLS=(receiver.url,))
        with shared.app_context():
            assert isinstance(notifier().shared, SharedThrottle)
            assert notifier().shared.prefix == redis_prefix + "notify:"
        with alone.app_context():
            assert notifier().shared is None
    finally:
        receiver.stop()
