"""The security headers (app/edge/headers.py): `apply` in one pass gives what the three passes it
replaced gave, for dynamic and static answers, whatever headers a view set."""

from __future__ import annotations

import itertools

import pytest

from app.edge.headers import CSP, SecurityHeaders

VIEW_HEADERS = [("Content-Type", "text/html"), ("content-security-policy", "default-src 'none'"),
                ("X-Frame-Options", "SAMEORIGIN"), ("Cache-Control", "max-age=60"), ("Vary", "Cookie"),
                ("cache-control", "public"), ("Set-Cookie", "a=b")]


def three_passes(wrapper: SecurityHeaders, headers, static):
    """The implementation before the single pass, kept here as the reference."""
    added, names = (wrapper.static if static else wrapper.dynamic), wrapper.names
    kept = [h for h in headers if h[0].lower() not in names]
    if static:
        kept += [h for h in headers if h[0].lower() == "cache-control"]
    if not any(h[0].lower() == "content-security-policy" for h in kept):
        kept.append(("Content-Security-Policy", CSP))
    return kept + added


@pytest.mark.parametrize("secure", [True, False])
@pytest.mark.parametrize("static", [True, False])
def test_one_pass_is_the_three(secure, static):
    wrapper = SecurityHeaders(lambda environ, start: [], secure, "/static")
    for size in range(4):
        for headers in itertools.permutations(VIEW_HEADERS, size):
            assert wrapper.apply(list(headers), static) == three_passes(wrapper, list(headers), static), headers
