"""The request's cookies (app/web/cookies.py `parsed`): werkzeug's parsing, read once per request."""

from __future__ import annotations

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from app.web.cookies import parsed

HEADERS = [None, "", "a=b", "a=b; c=d", "a=b;c=d", " a = b ; c=d ", "a=b; a=c", 'a="quoted \\"x\\" \\101"; b=c',
           "a", "a=; b", "=b; c=d", "a=b;;c=d", "a=b; ;", "gatehouse_session=x.y; gatehouse_csrf=z",
           "a=\u00c3\u00a9; b=\xff", "a=b\tc; d=e", 'a="unterminated; b=c', "a=b, c=d"]


@pytest.mark.parametrize("header", HEADERS)
def test_parsed_is_werkzeugs_request_cookies(header):
    environ = EnvironBuilder().get_environ()
    if header is not None:
        environ["HTTP_COOKIE"] = header
    expected = Request(environ).cookies
    got = parsed(dict(environ))
    assert list(got.items(multi=True)) == list(expected.items(multi=True)) and isinstance(got, type(expected))


def test_parsed_once_per_request():
    environ = {"HTTP_COOKIE": "a=b"}
    assert parsed(environ) is parsed(environ)


def test_the_apps_request_reads_them_that_way(app):
    with app.test_request_context(headers={"Cookie": "a=b; a=c"}) as context:
        assert context.request.cookies.getlist("a") == ["b", "c"]
        assert context.request.cookies is parsed(context.request.environ)


def test_a_repeated_header_is_parsed_once_and_shared():
    from app.web import cookies

    first, second = parsed({"HTTP_COOKIE": "gatehouse_session=v.s"}), parsed({"HTTP_COOKIE": "gatehouse_session=v.s"})
    assert first is second and first["gatehouse_session"] == "v.s"
    with pytest.raises(TypeError):
        first["gatehouse_session"] = "changed"  # shared, so it cannot be changed
    for n in range(cookies._PARSES.maxsize + 10):
        parsed({"HTTP_COOKIE": f"a={n}"})
    assert len(cookies._PARSES) == cookies._PARSES.maxsize
