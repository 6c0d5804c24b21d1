"""The Flask class the app is built on: Flask, minus costs paid on every request
(docs/performance.md).

- `ensure_sync`: Flask asks `inspect.iscoroutinefunction` about every hook and the view, on
  every request, so that an `async def` one can be run (about a dozen a request here, 6% of
  the home page's time). Gatehouse has no async view or hook; a plain function's own code
  object says so at once, and anything else still goes through Flask's check.
- The request hooks: Flask calls every `before_request`, `after_request` and
  `teardown_request` hook of the app and the request's blueprints; here it calls those whose
  declaration in app/edge/gates.py says they act on this request's method and endpoint (`scoped`;
  an undeclared hook always runs), in Flask's order. The rest of each step is Flask's own
  (`preprocess_request`, `process_response`, `do_teardown_request` in Flask 3.1).
- `request_class`: the request reads its cookies straight from `HTTP_COOKIE` (app/web/cookies.py
  `parsed`), once per request for Flask's session and the sign-in session alike; its query,
  form and cookies answer a missing key without an exception (app/web/parameters.py).
"""

from __future__ import annotations

import sys
from inspect import CO_COROUTINE
from typing import Any, Callable

from flask import Flask, Request, Response, request
from flask.globals import request_ctx
from flask.sansio.scaffold import _sentinel
from flask.signals import request_tearing_down
from werkzeug.utils import cached_property

from app.edge.gates import scoped
from app.web.cookies import parsed
from app.web.parameters import Parameters


class GatehouseRequest(Request):
    parameter_storage_class = Parameters
    dict_storage_class = Parameters

    @cached_property
    def cookies(self) -> Parameters:
        """werkzeug's `Request.cookies` (the `Cookie` header parsed), shared through the environ."""
        return parsed(self.environ)


class GatehouseFlask(Flask):
    request_class = GatehouseRequest

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        code = getattr(getattr(func, "__func__", func), "__code__", None)
        if code is not None and not code.co_flags & CO_COROUTINE and not hasattr(func, "_is_coroutine_marker"):
            return func
        return super().ensure_sync(func)

    def _hooks(self, stage: str) -> tuple[Callable, ...]:
        current = request._get_current_object()
        return scoped(self, stage, current.method, current.endpoint, lambda: current.blueprints, self.ensure_sync)

    def preprocess_request(self):
        if self.url_value_preprocessors:
            for name in (None, *reversed(request.blueprints)):
                for url_func in self.url_value_preprocessors.get(name, ()):
                    url_func(request.endpoint, request.view_args)
        for before_func in self._hooks("before"):
            rv = before_func()
            if rv is not None:
                return rv
        return None

    def process_response(self, response: Response) -> Response:
        ctx = request_ctx._get_current_object()
        for func in ctx._after_request_functions:
            response = self.ensure_sync(func)(response)
        for func in self._hooks("after"):
            response = func(response)
        if not self.session_interface.is_null_session(ctx._session):
            self.session_interface.save_session(self, ctx._session, response)
        return response

    def do_teardown_request(self, exc: BaseException | None = _sentinel) -> None:  # type: ignore[assignment]
        if exc is _sentinel:
            exc = sys.exc_info()[1]
        for func in self._hooks("teardown"):
            func(exc)
        request_tearing_down.send(self, _async_wrapper=self.ensure_sync, exc=exc)
