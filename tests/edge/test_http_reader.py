"""The worker's one HTTP/1.1 reader (app/edge/http_reader.py): where a request ends, by h11."""

from __future__ import annotations

import pytest

from app.edge.http_reader import HEAD_LIMIT, Reader, read

HEAD = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
CHUNKED = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"


def test_a_request_is_whole_when_its_head_and_declared_body_are_in():
    assert read(HEAD[:-2]).head is None
    assert not read(HEAD + b"abcd").complete and read(HEAD + b"abcd").body_received == 4
    assert read(HEAD + b"abcde").complete
    assert read(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").complete


def test_chunks_are_framed_by_their_sizes_not_by_what_they_contain():
    assert not read(CHUNKED + b"5\r\nhello\r\n").complete
    assert read(CHUNKED + b"5\r\nhello\r\n0\r\n\r\n").complete
    assert read(CHUNKED + b"0\r\n\r\n").complete
    fooling = read(CHUNKED + b"40\r\n\r\n0\r\n\r\n")  # 7 of the 64 bytes the chunk declares (issue 22)
    assert not fooling.complete and fooling.error is None and fooling.body_received == 7


def test_bytes_fed_in_pieces_are_read_as_one_request():
    reader = Reader()
    whole = CHUNKED + b"5\r\nhello\r\n0\r\n\r\n"
    for i in range(len(whole)):
        reader.feed(whole[i:i + 1])
    assert reader.complete and reader.body_received == 5 and reader.chunked


def test_what_follows_a_request_is_kept_apart():
    both = read(HEAD + b"abcde" + b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert both.complete and both.after == b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    assert read(HEAD + b"abcde").after == b""


@pytest.mark.parametrize("data, status", [
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \xc2\xb2\r\n\r\n", 400),  # "²": isdigit(), not int()
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nBad Header: x\r\nHost: x\r\n\r\n", 400),
    (b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"a" * HEAD_LIMIT, 431),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
])
def test_a_request_h11_refuses_gets_its_status_and_a_closed_connection(data, status):
    reader = read(data)
    assert reader.error is not None and not reader.complete
    answer = reader.refusal()
    assert answer.startswith(b"HTTP/1.1 %d " % status) and b"\r\nConnection: close\r\n" in answer
    head, body = answer.split(b"\r\n\r\n", 1)
    assert b"Content-Length: %d\r\n" % len(body) in head + b"\r\n"


def test_a_refusal_may_name_its_own_status():
    reader = read(b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 1000)  # not refused yet: the head goes on
    assert reader.error is None and reader.head is None
    assert reader.refusal(431).startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")


def test_expect_100_continue_is_heard_until_the_body_starts():
    waiting = read(b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
    assert waiting.waiting_for_continue and waiting.continue_response() == b"HTTP/1.1 100 Continue\r\n\r\n"
    sent_anyway = read(b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc")
    assert sent_anyway.complete and not sent_anyway.waiting_for_continue
    assert not read(HEAD).waiting_for_continue
