import pytest

from app.security.redirects import safe_next


@pytest.mark.parametrize("value", ["/", "/sessions", "/a/b?c=d&e=/f", "/path#frag"])
def test_local_paths_kept(value):
    assert safe_next(value) == value


@pytest.mark.parametrize(
    "value",
    [
        None, "", "//evil.com", "///evil.com", "/\\evil.com", "\\\\evil.com", "/\t/evil.com",
        "https://evil.com", "javascript:alert(1)", "evil.com", "/" + "a" * 3000, "/\r\nSet-Cookie: x",
        " /x",
    ],
)
def test_anything_else_goes_home(value):
    assert safe_next(value) == "/"
