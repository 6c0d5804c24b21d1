"""Paths as the rules read them (app/access/paths.py): normalised like nginx, or ambiguous; globs."""

import pytest

from app.access.paths import Glob, normalise_pattern, read_path


@pytest.mark.parametrize("raw, normal", [
    ("/", "/"),
    ("/api/x?token=1", "/api/x"),
    ("//api///x", "/api/x"),
    ("/%61pi/%7Euser", "/api/~user"),  # unreserved escapes decoded
    ("/a%2dz%5F", "/a-z_"),
    ("/files/a%20b", "/files/a%20b"),  # reserved or unsafe: stays escaped, in upper case
    ("/files/a%2cb", "/files/a%2Cb"),
    ("/caf\xc3\xa9", "/caf%C3%A9"),  # raw UTF-8 bytes (a WSGI header value) escaped
    ("/api/", "/api/"),  # a trailing slash is kept
    ("/a/.../b", "/a/.../b"),  # three dots are a name, not a dot-segment
])
def test_normalised(raw, normal):
    reading = read_path(raw)
    assert (reading.path, reading.why) == (normal, None)


AMBIGUOUS = [
    "/api/..",
    "/api/../admin",
    "/api/./x",
    "/api/%2e%2e/admin",
    "/api/%2E%2e/admin",
    "/api/.%2e/admin",
    "/api/%252e%252e/admin",  # double encoding
    "/api/%25252e%25252e/admin",  # triple
    "/api%2f..%2fadmin",
    "/api%2Fadmin",  # encoded slash
    "/api%252Fadmin",
    "/api\\..\\admin",  # backslash
    "/api%5c..%5cadmin",
    "/api%255cadmin",
    "/api/..;/admin",  # Tomcat's path parameters
    "/api;jsessionid=1/x",
    "/api/%3b/x",
    "/api/x%00.png",  # NUL
    "/api/x%0a",
    "/api/x\t",
    "/api/x y",  # a raw space: no request line carries one
    "/api/%3f/../admin",  # encoded ? (a server decoding twice cuts the path there)
    "/api/%23/x",
    "/api/%zz",  # a % that starts no escape
    "/api/%",
    "/api/%c0%ae%c0%ae/admin",  # overlong UTF-8 dots: not UTF-8
    "/api/%2525252e",  # still changing after four decodings
    "/api#frag",
    "api/x",  # not a path
    "*",
    "",
    None,
]


@pytest.mark.parametrize("raw", AMBIGUOUS)
def test_ambiguous(raw):
    reading = read_path(raw)
    assert reading.path is None and reading.why


@pytest.mark.parametrize("pattern, yes, no", [
    ("/api/**", ["/api", "/api/", "/api/x", "/api/x/y/z"], ["/apix", "/ap", "/", "/other/api/x"]),
    ("/api/*", ["/api/x", "/api/"], ["/api", "/api/x/y"]),
    ("/**", ["/", "/x", "/x/y"], []),
    ("/", ["/"], ["/x"]),
    ("/a/**/b", ["/a/b", "/a/x/b", "/a/x/y/b"], ["/a/b/c", "/b", "/a/x"]),
    ("/**/secret", ["/secret", "/a/secret", "/a/b/secret"], ["/secret/x", "/secrets"]),
    ("/*.php", ["/index.php", "/.php"], ["/a/index.php", "/index.phps"]),
    ("/a*b*c", ["/abc", "/a-b-c", "/aXbYbc"], ["/ab", "/acb"]),
    ("/x/[a]*", ["/x/[a]", "/x/[a]b"], ["/x/a", "/x/ab"]),  # [ ] are literal
    ("/webhook/%41bc", ["/webhook/Abc"], ["/webhook/abc"]),  # pattern normalised like requests
])
def test_globs(pattern, yes, no):
    glob = Glob(normalise_pattern(pattern))
    for path in yes:
        assert glob.match(read_path(path).segments), (pattern, path)
    for path in no:
        assert not glob.match(read_path(path).segments), (pattern, path)


def test_case_blind_glob():
    glob = Glob(normalise_pattern("/Admin/**"), ignore_case=True)
    assert glob.match(["ADMIN", "x"]) and glob.match(["admin"]) and not glob.match(["admins"])


def test_no_pattern_backtracks_for_long():
    """A long path against many `**` and `*`: the matcher places pieces once, so this is instant."""
    import time

    glob = Glob(normalise_pattern("/**/a*a*a*a*b/**/c/**/d"))
    segments = ["a" * 50] * 2000
    started = time.perf_counter()
    assert not glob.match(segments)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize("pattern, fault", [
    ("api/**", "must start with /"),
    ("/api/**?x", "must not contain"),
    ("/a;b", "must not contain"),
    ("/a\\b", "must not contain"),
    ("/a b", "printable ASCII"),
    ("/café", "printable ASCII"),
    ("/a/../b", "segment"),
    ("/a/%2e%2e/b", "segment"),
    ("/a**", "whole segment"),
    ("/a/**b/c", "whole segment"),
])
def test_bad_patterns(pattern, fault):
    with pytest.raises(ValueError, match=fault):
        normalise_pattern(pattern)
