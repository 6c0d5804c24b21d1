"""A short, human name for a User-Agent string ("Firefox 128 on Linux"), for the sessions page.

Deliberately tiny: the page only needs a hint to tell one's own devices apart, not a
full parser. Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
"""

from __future__ import annotations

import re

_BROWSERS = (
    ("Edge", r"Edg(?:e|A|iOS)?/(\d+)"),
    ("Opera", r"OPR/(\d+)"),
    ("Firefox", r"(?:Firefox|FxiOS)/(\d+)"),
    ("Chromium", r"Chromium/(\d+)"),
    ("Chrome", r"(?:HeadlessChrome|Chrome|CriOS)/(\d+)"),
    ("Safari", r"Version/(\d+)[^ ]* .*Safari/"),
)
_SYSTEMS = (
    ("Android", "Android"), ("iOS", "iPhone"), ("iPadOS", "iPad"), ("Windows", "Windows"),
    ("macOS", "Mac OS X"), ("ChromeOS", "CrOS"), ("Linux", "Linux"),
)


def short_name(user_agent: str | None) -> str:
    if not user_agent:
        return "Unknown"
    browser = next((f"{name} {m.group(1)}" for name, pattern in _BROWSERS if (m := re.search(pattern, user_agent))), None)
    system = next((name for name, marker in _SYSTEMS if marker in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or system
    tool = re.match(r"([A-Za-z][\w.-]{0,39})(?:/(\d+))?", user_agent)  # curl/8.5.0, python-requests/2.32
    if tool is None:
        return "Unknown"
    return f"{tool.group(1)} {tool.group(2)}" if tool.group(2) else tool.group(1)
