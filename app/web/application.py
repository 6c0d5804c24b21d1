"""The Flask class the app is built on: Flask, minus a cost paid on every request.

Flask asks `inspect.iscoroutinefunction` about every hook and the view, on every request,
so that an `async def` one can be run (about a dozen a request here, 6% of the home page's
time: docs/performance.md). Gatehouse has no async view or hook; a plain function's own code
object says so at once, and anything else still goes through Flask's check.
"""

from __future__ import annotations

from inspect import CO_COROUTINE
from typing import Any, Callable

from flask import Flask


class GatehouseFlask(Flask):
    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        code = getattr(getattr(func, "__func__", func), "__code__", None)
        if code is not None and not code.co_flags & CO_COROUTINE and not hasattr(func, "_is_coroutine_marker"):
            return func
        return super().ensure_sync(func)
