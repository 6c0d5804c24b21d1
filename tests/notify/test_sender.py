"""The sender on its own: throttle, bounded queue, retries, scrubbed reasons (app/notify/sender.py)."""

from __future__ import annotations

import threading

import pytest

from app.notify.sender import Message, Notifier, Target, _scrub, targets_of
from tests.support.notify import Plugin
from tests.support.receiver import Receiver


def message(kind: str = "new browser") -> Message:
    return Message(kind, "title", "body")


def test_the_queue_is_bounded_and_a_full_one_drops(caplog):
    release = threading.Event()
    plugin = Plugin(block=release)
    sender = Notifier([Target("1 (fake)", plugin)], throttle=0, queue_size=2)
    assert sender.send(message("a"))  # taken by the thread, which now waits on the plugin
    for _ in range(50):
        if sender._queue.empty():
            break
        threading.Event().wait(0.02)
    assert sender.send(message("b")) and sender.send(message("c"))
    assert not sender.send(message("d"))  # queue full: dropped at once, never blocking
    assert any(getattr(r, "event", None) == "notify_dropped" for r in caplog.records)
    release.set()
    assert sender.wait_idle(10)
    assert [title for title, _b, _t in plugin.seen] == ["title"] * 3


def test_a_plugin_that_raises_is_a_failed_try_and_the_thread_lives_on():
    plugin = Plugin(results=[RuntimeError("boom"), True, True])
    sender = Notifier([Target("1 (fake)", plugin)], throttle=0, retry_delays=(0.01,))
    assert sender.send(message("a"))
    assert sender.wait_idle(10)
    assert sender.send(message("b"))
    assert sender.wait_idle(10)
    assert len(plugin.seen) == 3  # a: raised, then taken on the retry; b: taken
    assert sender._thread.is_alive()


def test_only_the_failed_addresses_are_tried_again():
    good, bad = Plugin(), Plugin(results=[False, False, True])
    sender = Notifier([Target("1 (fake)", good), Target("2 (fake)", bad)], throttle=0, retry_delays=(0.01, 0.01))
    sender.send(message())
    assert sender.wait_idle(10)
    assert (len(good.seen), len(bad.seen)) == (1, 3)


def test_deliver_says_per_address_whether_it_arrived():
    receiver = Receiver()
    try:
        sender = Notifier(targets_of([receiver.url, "json://127.0.0.1:9/closed-port-hook"]))
        results = sender.deliver(message("test"))
        assert [(r.target, r.arrived) for r in results] == [("1 (JSON)", True), ("2 (JSON)", False)]
        assert results[1].reason and "closed-port-hook" not in results[1].reason
        assert receiver.received[0]["title"] == "title"
    finally:
        receiver.stop()


def test_reasons_lose_urls_and_every_part_of_the_address():
    parts = ("user", "hunter22", "ntfy.example.org", "topic-xyz")
    assert _scrub(["login for user:hunter22 failed at ntfys://user:hunter22@ntfy.example.org/topic-xyz"], parts) \
        == "login for ***:*** failed at <address>"
    assert _scrub(["topic topic-xyz is unknown on ntfy.example.org"], parts) == "topic *** is unknown on ***"
    assert _scrub([], parts) is None


def test_targets_name_the_service_and_keep_the_address_parts_to_scrub():
    [target] = targets_of(["ntfys://user:hunter22@ntfy.example.org/topic-xyz"])
    assert target.name == "1 (ntfy)"
    assert {"hunter22", "ntfy.example.org", "topic-xyz", "user"} <= set(target.secrets)
    assert "ntfys" not in target.secrets


@pytest.mark.parametrize("client, said", [("203.0.113.5", "`gatehouse unblock 203.0.113.5`"),
                                          ("2001:db8:1:2::/64", "`gatehouse unblock ADDRESS` with any address in 2001:db8:1:2::/64"),
                                          ("a trusted device", "`gatehouse unblock --all`")])
def test_the_unblock_line_fits_the_client(client, said):
    from app.notify.events import _unblock

    assert _unblock(client) == said
