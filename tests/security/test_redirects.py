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


# --- rd: absolute return addresses for forward auth ----------------------------------

from app.security.redirects import ReturnPolicy, is_domain_name, safe_return  # noqa: E402

DOMAIN = ReturnPolicy(cookie_domain="example.org", portal_host="auth.example.org")
DOMAIN_HTTP = ReturnPolicy(cookie_domain="example.org", portal_host="auth.example.org", allow_http=True)
PORTAL_ONLY = ReturnPolicy(cookie_domain=None, portal_host="auth.example.org")


@pytest.mark.parametrize(
    "value",
    [
        "https://example.org/", "https://example.org", "https://grafana.example.org/d/abc?orgId=1&from=now-1h#panel",
        "https://a.b.example.org/x", "https://FILES.Example.org/", "https://app1.example.org:8443/path",
        "https://auth.example.org/sessions", "/local/path?x=1",
    ],
)
def test_rd_on_the_cookie_domain_is_kept(value):
    assert safe_return(value, DOMAIN) == value


@pytest.mark.parametrize(
    "value",
    [
        # off-domain and look-alikes
        "https://evil.test/", "https://example.org.evil.test/", "https://evilexample.org/", "https://example.org-evil.test/",
        "https://xexample.org/", "https://example.com/", "https://example.org./", "https://org/", "https://127.0.0.1/",
        "https://[::1]/", "https://2130706433/",
        # userinfo tricks
        "https://example.org@evil.test/", "https://user:pass@app.example.org/", "https://evil.test\\@example.org/",
        "https://example.org%40evil.test/", "https://evil.test%2f.example.org/", "https://evil.test#@example.org/",
        "https://evil.test?.example.org/", "https://evil.test;.example.org/",
        # backslashes
        "https:\\\\evil.test/", "https:/\\evil.test", "https://app.example.org\\.evil.test/", "/\\evil.test",
        "\\\\evil.test", "https://app.example.org/\\evil",
        # schemes
        "javascript:alert(1)", "JavaScript://example.org/%0aalert(1)", "data:text/html,<script>alert(1)</script>",
        "http://app.example.org/", "ftp://app.example.org/", "//app.example.org/", "https:app.example.org",
        "https:///app.example.org/", "vbscript:msgbox", "app.example.org",
        # control characters and whitespace
        "https://app.example.org/\r\nSet-Cookie:x=1", "https://app.example.org/\t", "https://app.exa\tmple.org/",
        "https://app.example.org\x00.evil.test/", "\x01https://app.example.org/", " https://app.example.org/",
        "https://app.example.org/\u2028", "https://app.example.org/\x7f",
        # ports and hosts that are not plain names
        "https://app.example.org:/", "https://app.example.org:0/", "https://app.example.org:99999/",
        "https://app.example.org:80x/", "https://app.example.org:+80/", "https://xn--80ak6aa92e.example.org:1:2/",
        "https://ex\u0430mple.org/", "https://app.\u0435xample.org/", "https://-app.example.org/", "https://app..example.org/",
        # empty and oversize
        None, "", "https://app.example.org/" + "a" * 3000,
    ],
)
def test_rd_anything_else_goes_home(value):
    assert safe_return(value, DOMAIN) == "/"


def test_http_only_while_cookies_are_not_secure():
    assert safe_return("http://app1.example.org:8080/x", DOMAIN) == "/"
    assert safe_return("http://app1.example.org:8080/x", DOMAIN_HTTP) == "http://app1.example.org:8080/x"
    assert safe_return("https://app1.example.org/x", DOMAIN_HTTP) == "https://app1.example.org/x"
    assert safe_return("http://evil.test/", DOMAIN_HTTP) == "/"


def test_without_cookie_domain_only_the_portal_host():
    assert safe_return("https://auth.example.org/sessions", PORTAL_ONLY) == "https://auth.example.org/sessions"
    assert safe_return("https://app1.example.org/", PORTAL_ONLY) == "/"
    assert safe_return("https://example.org/", PORTAL_ONLY) == "/"
    assert safe_return("https://auth.example.org.evil.test/", PORTAL_ONLY) == "/"
    assert safe_return("https://anything.test/", ReturnPolicy(cookie_domain=None, portal_host=None)) == "/"


def test_default_is_used_for_refusals():
    assert safe_return("https://evil.test/", DOMAIN, default="/sessions") == "/sessions"


def test_form_action_sources_are_exactly_the_allowed_hosts():
    assert DOMAIN.form_action_sources() == ("https://example.org:*", "https://*.example.org:*")
    assert DOMAIN_HTTP.form_action_sources() == ("http://example.org:*", "http://*.example.org:*")
    assert PORTAL_ONLY.form_action_sources() == ()  # 'self' is the portal
    assert ReturnPolicy(cookie_domain=None, portal_host=None).form_action_sources() == ()


@pytest.mark.parametrize("name", ["example.org", "a.b.example.org", "xn--80ak6aa92e.com", "gatehouse.test", "a-b.example.org"])
def test_domain_names(name):
    assert is_domain_name(name)


@pytest.mark.parametrize("name", ["org", "localhost", ".example.org", "example.org.", "Example.org", "-a.example.org",
                                  "a_b.example.org", "10.0.0.1", "ex ample.org", "", "a..b", "*.example.org"])
def test_not_domain_names(name):
    assert not is_domain_name(name)


@pytest.mark.parametrize("portal, value", [
    ("192.168.1.10", "http://192.168.1.10/sessions?tab=all"),
    ("192.168.1.10", "http://192.168.1.10:8000/"),
    ("nas", "http://nas/sessions?tab=all"),
    ("nas", "http://NAS:8080/x"),
    ("localhost", "http://localhost:8000/"),
    ("fd00::10", "http://[fd00::10]/sessions"),
    ("fd00::10", "http://[FD00::10]:8443/"),
])
def test_ip_and_one_label_portal_hosts_keep_the_return_address(portal, value):
    """SPEC §4b: a portal reached by IP address or LAN name keeps `rd`, by exact match of its host."""
    policy = ReturnPolicy(cookie_domain=None, portal_host=portal, allow_http=True)
    assert safe_return(value, policy) == value


@pytest.mark.parametrize("portal, value", [
    ("192.168.1.10", "http://192.168.1.11/"),
    ("192.168.1.10", "http://192.168.001.010/"),  # browsers read leading zeros as octal
    ("192.168.1.10", "http://0xc0.168.1.10/"),
    ("192.168.1.10", "http://3232235786/"),  # the same address as one number
    ("192.168.1.10", "http://192.168.1.10.evil.test/"),
    ("192.168.1.10", "http://[::ffff:192.168.1.10]/"),
    ("nas", "http://nas.evil.test/"),
    ("nas", "http://evil/"),
    ("nas", "http://nas@evil/"),
    ("fd00::10", "http://[fd00:0::10]/"),  # not the compressed form
    ("fd00::10", "http://[fd00::10/"),
    ("fd00::10", "http://[fd00::10]x/"),
    (None, "http://nas/"),
])
def test_ip_and_one_label_hosts_must_be_exactly_the_portal(portal, value):
    assert safe_return(value, ReturnPolicy(cookie_domain=None, portal_host=portal, allow_http=True)) == "/"


def test_with_a_cookie_domain_an_address_is_never_on_it():
    policy = ReturnPolicy(cookie_domain="example.org", portal_host="auth.example.org", allow_http=True)
    assert safe_return("http://192.168.1.10/", policy) == "/" and safe_return("http://nas/", policy) == "/"
