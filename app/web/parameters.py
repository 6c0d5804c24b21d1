"""The mapping a request's query, form and cookies are parsed into: werkzeug's ImmutableMultiDict,
with a cheaper miss (docs/performance.md).

werkzeug's `get` looks the key up by indexing and catches the BadRequestKeyError a missing key
raises: building that exception costs about ten times the lookup, and most lookups on the
pages every visitor loads miss (`rd` and `next` on /login, the CSRF cookie of a first visit).
Here a missing key returns the default at once; a present one goes through werkzeug's `get`
(the value, or the default when `type` cannot convert it).
"""

from __future__ import annotations

from werkzeug.datastructures import ImmutableMultiDict


class Parameters(ImmutableMultiDict):
    def get(self, key, default=None, type=None):  # noqa: A002 (werkzeug's signature)
        if key not in self:
            return default
        return super().get(key, default, type)
