"""A short, human name for a User-Agent string ("Firefox 128 on Linux"), for the sessions and
activity pages.

The parsing is ua-parser's (the uap-core rules, with its Rust matcher when installed): it
knows the browsers that dress up as Chrome (Samsung Internet, Vivaldi, Edge, Opera) and the
crawlers (Googlebot). Here we only shorten its names for a narrow table column.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ua_parser import parse

MAX_INPUT = 512  # a User-Agent longer than this is cut before parsing (the header is client-controlled)

# ua-parser's family names that are longer or older than what people call them.
_BROWSER_NAMES = {
    "Mobile Safari": "Safari", "Mobile Safari UI/WKWebView": "Safari (in-app)",
    "Chrome Mobile": "Chrome", "Chrome Mobile iOS": "Chrome", "Chrome Mobile WebView": "Android WebView",
    "Firefox Mobile": "Firefox", "Firefox iOS": "Firefox", "Edge Mobile": "Edge",
    "Opera Mobile": "Opera", "Python Requests": "python-requests",
}
_SYSTEM_NAMES = {"Mac OS X": "macOS", "Chrome OS": "ChromeOS"}
_TOOL = re.compile(r"([A-Za-z][\w.-]{0,39})(?:/(\d+))?")  # "SomeTool/1.0 (+https://…)": unknown to uap-core


def short_name(user_agent: str | None) -> str:
    """"Browser major on System", or whichever half is known, or the leading product token."""
    return _short_name(user_agent[:MAX_INPUT]) if user_agent else "Unknown"


@lru_cache(maxsize=256)  # a page lists the same few browsers over and over
def _short_name(user_agent: str) -> str:
    result = parse(user_agent)
    browser = None
    if result.user_agent is not None and result.user_agent.family != "Other":
        family = _BROWSER_NAMES.get(result.user_agent.family, result.user_agent.family)
        browser = f"{family} {result.user_agent.major}" if result.user_agent.major else family
    system = None
    if result.os is not None and result.os.family != "Other":
        system = _SYSTEM_NAMES.get(result.os.family, result.os.family)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or system
    tool = _TOOL.match(user_agent)
    if tool is None:
        return "Unknown"
    return f"{tool.group(1)} {tool.group(2)}" if tool.group(2) else tool.group(1)
