import pytest

from app.services.user_agents import short_name


@pytest.mark.parametrize("agent, name", [
    ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox 128 on Linux"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
     "Chrome 120 on Windows"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0",
     "Edge 120 on Windows"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
     "Safari 17 on macOS"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
     "Safari 17 on iOS"),
    ("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0 Mobile Safari/537.36",
     "Chrome 119 on Android"),
    # Browsers that also say "Chrome", and a crawler that says "Mozilla/5.0": the hand-written
    # parser this replaced named them "Chrome" and "Mozilla 5".
    ("Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 "
     "Chrome/115.0.0.0 Mobile Safari/537.36", "Samsung Internet 23 on Android"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 "
     "Vivaldi/6.5.3206.48", "Vivaldi 6 on Windows"),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Googlebot 2"),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0",
     "Opera 106 on Linux"),
    ("curl/8.5.0", "curl 8"),
    ("python-requests/2.32.3", "python-requests 2"),
    ("SomeTool/1.0 (+https://example.org)", "SomeTool 1"),
    ("\x1b[31m", "Unknown"),
    ("Bot", "Bot"),
    ("", "Unknown"),
    (None, "Unknown"),
])
def test_short_name(agent, name):
    assert short_name(agent) == name


def test_huge_header_is_cut_before_parsing():
    assert short_name("curl/8.5.0 " + "x" * 100_000) == "curl 8"
