"""The declared request hooks: the one list of what runs around every view, in order.

Flask runs each request's `before_request`, `after_request` and `teardown_request` hooks; a
shortcut that answers without Flask's dispatch (app/edge/forward_auth.py) must run the same
checks, or its answer drifts from the app's (it did: a forged `Host`, a refused instance). So
every hook the app has is declared here, with the requests it acts on (`methods`,
`endpoints`; None means all), and every hook a shortcut may meet carries a `check` that takes
the WSGI environ, so the shortcut runs the very function Flask's hook runs:

- `check(environ, endpoint)` returns None to let the request on, or a refusal: a zero-argument
  callable that, inside Flask's request context, raises the error or returns the response.
  Flask's hook (`install_gates`) calls it; a shortcut that meets a refusal leaves the request to
  Flask, which runs the same check again and answers it the one way.

`install_gates` registers one Flask `before_request` hook that runs the gates in this order
(each declared on its own); hooks that libraries and extensions register themselves
(CSRFProtect, the login limiter) are declared by `adopt` right after they register.
`shortcut_gates` answers a shortcut's question "which checks must I run for these requests?",
and refuses (EdgeError) when the app has a hook that nobody declared, or one that acts on those
requests without an environ check: the next hook cannot be forgotten by a shortcut, because the
shortcut then does not install.

The declarations are also what Flask runs (`scoped`, used by app/web/application.py): a request
meets only the hooks declared as acting on its method and endpoint (and any hook nobody
declared), in Flask's order. A `GET /` no longer calls the limiter's three hooks, CSRF's and the
sign-in form's CSP hook only to have each return at once (docs/performance.md); and a
declaration cannot claim less than its hook does unnoticed: the hook then does not run where it
was not declared.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Iterable

from flask import Flask, request

STAGES = ("before", "after", "teardown")
_HOOKS = "gatehouse.edge.hooks"
_SCOPED = "gatehouse.edge.scoped"

Refusal = Callable[[], object]
Check = Callable[[dict, "str | None"], "Refusal | None"]


class EdgeError(RuntimeError):
    """A shortcut cannot promise Flask's answer: the message names the hook and what to do."""


@dataclass(frozen=True)
class Hook:
    name: str
    stage: str  # "before", "after" or "teardown"
    function: Callable
    methods: frozenset[str] | None = None  # the methods it acts on; None: every method
    endpoints: frozenset[str] | None = None  # the endpoints it acts on; None: every endpoint
    check: Check | None = None  # the same decision on a bare environ, for shortcuts

    def applies(self, method: str, endpoint: str) -> bool:
        return (self.methods is None or method in self.methods) and (self.endpoints is None or endpoint in self.endpoints)


@dataclass(frozen=True)
class Gate:
    """A `before_request` check of ours, declared with the requests it acts on."""

    name: str
    check: Check
    methods: frozenset[str] | None = None
    endpoints: frozenset[str] | None = None


def install_gates(app: Flask, gates: Iterable[Gate]) -> None:
    """Register one `before_request` hook that runs `gates` in order, and declare each gate."""
    hooks: list[Hook] = []

    def request_gates():
        current = request._get_current_object()  # one proxy hop, not three (docs/performance.md)
        refusal = refusal_of(hooks, current.environ, current.method, current.endpoint)
        return None if refusal is None else refusal()

    for gate in gates:
        hooks.append(Hook(gate.name, "before", request_gates, gate.methods, gate.endpoints, gate.check))
    app.before_request(request_gates)
    for hook in hooks:
        _declare(app, hook)


def adopt(app: Flask, name: str, register: Callable[[], None], *, methods: Iterable[str] | None = None,
          endpoints: Iterable[str] | None = None) -> None:
    """Run `register` (an extension's `init_app`) and declare every hook it added, as acting on
    `methods` and `endpoints` only. Such hooks have no environ check: a shortcut for requests
    they act on does not install."""
    before = {stage: _registered(app, stage) for stage in STAGES}
    register()
    for stage in STAGES:
        for function in _registered(app, stage):
            if function not in before[stage]:
                _declare(app, Hook(f"{name} ({stage})", stage, function, _set(methods), _set(endpoints)))


def declare(app: Flask, name: str, stage: str, function: Callable, *, methods: Iterable[str] | None = None,
            endpoints: Iterable[str] | None = None) -> None:
    """Declare a hook registered by our own code outside `install_gates` (an `after_request`)."""
    _declare(app, Hook(name, stage, function, _set(methods), _set(endpoints)))


def restrict(app: Flask, name: str, *, endpoints: Iterable[str]) -> None:
    """Narrow the hooks `adopt` declared as `name` to `endpoints`: for an extension whose hooks act
    on views that exist only once the blueprints are registered (the login limiter's guarded views)."""
    declared: list[Hook] = app.extensions.get(_HOOKS, [])
    named = [n for n, hook in enumerate(declared) if hook.name.startswith(f"{name} (")]
    if not named:
        raise EdgeError(f"no hooks were adopted as {name!r}")
    for n in named:
        declared[n] = replace(declared[n], endpoints=frozenset(endpoints))
    _forget_scopes(app)


def shortcut_gates(app: Flask, methods: Iterable[str], endpoints: Iterable[str]) -> tuple[Hook, ...]:
    """The checks a shortcut answering `methods` × `endpoints` must run, in Flask's order.

    :raise EdgeError: a hook is not declared, or acts on those requests without an environ
    check (a library's hook, an `after_request`): the shortcut must not install.
    """
    declared: list[Hook] = app.extensions.get(_HOOKS, [])
    known = {id(hook.function) for hook in declared}
    for stage in STAGES:
        for function in _registered(app, stage):
            if id(function) not in known:
                raise EdgeError(f"the {stage}_request hook {_describe(function)} is not declared in app/edge/gates.py: "
                                "declare which requests it acts on, or no shortcut can promise Flask's answer")
    needed = []
    for hook in declared:
        if any(hook.applies(m, e) for m in methods for e in endpoints):
            if hook.stage != "before" or hook.check is None:
                raise EdgeError(f"the hook {hook.name!r} acts on {sorted(endpoints)} but has no check a shortcut "
                                "can run (app/edge/gates.py): the shortcut would skip it")
            needed.append(hook)
    return tuple(needed)


def refusal_of(hooks: Iterable[Hook], environ: dict, method: str, endpoint: str) -> Refusal | None:
    """The first refusal among `hooks` that act on this request, or None when every one lets it on."""
    for hook in hooks:
        if hook.applies(method, endpoint):
            refusal = hook.check(environ, endpoint)
            if refusal is not None:
                return refusal
    return None


def scoped(app: Flask, stage: str, method: str, endpoint: str | None, blueprints: Callable[[], list[str]],
           ensure_sync: Callable[[Callable], Callable]) -> tuple[Callable, ...]:
    """The `stage` hooks Flask runs for a request with this method and endpoint, in Flask's order
    (`before`: the app's, then the blueprints' from the outermost; `after` and `teardown`: the
    innermost blueprint's first, each list in reverse), less the hooks whose declarations all say
    they act on other requests. Computed once per (stage, method, endpoint): a bounded set, as
    endpoints come from the URL map and a method no declaration names stands for all such.
    `blueprints()` gives the request's blueprint names (Flask's `request.blueprints`), only on the
    first request of its kind; `ensure_sync` is applied once, to the kept functions."""
    table = app.extensions.get(_SCOPED)
    if table is None:
        table = app.extensions[_SCOPED] = {}
    named = method if method in _methods_named(app) else None
    key = (stage, named, endpoint)
    found = table.get(key)
    if found is None:
        registered = {"before": app.before_request_funcs, "after": app.after_request_funcs,
                      "teardown": app.teardown_request_funcs}[stage]
        if stage == "before":
            functions = [f for name in (None, *reversed(blueprints())) for f in registered.get(name, ())]
        else:
            functions = [f for name in (*blueprints(), None) for f in reversed(registered.get(name, ()))]
        declared: dict[int, list[Hook]] = {}
        for hook in app.extensions.get(_HOOKS, []):
            declared.setdefault(id(hook.function), []).append(hook)
        found = table[key] = tuple(
            ensure_sync(f) for f in functions
            if id(f) not in declared or any(h.applies(method, endpoint) for h in declared[id(f)]))
    return found


def _methods_named(app: Flask) -> frozenset[str]:
    """Every method some declaration names (`methods`): any other method is treated alike."""
    named = app.extensions.get(_SCOPED + ".methods")
    if named is None:
        hooks = app.extensions.get(_HOOKS, [])
        named = app.extensions[_SCOPED + ".methods"] = frozenset(m for h in hooks if h.methods for m in h.methods)
    return named


def _declare(app: Flask, hook: Hook) -> None:
    app.extensions.setdefault(_HOOKS, []).append(hook)
    _forget_scopes(app)


def _forget_scopes(app: Flask) -> None:
    """The declarations changed: the scoped lists are made again."""
    app.extensions.pop(_SCOPED, None)
    app.extensions.pop(_SCOPED + ".methods", None)


def _registered(app: Flask, stage: str) -> list[Callable]:
    table = {"before": app.before_request_funcs, "after": app.after_request_funcs,
             "teardown": app.teardown_request_funcs}[stage]
    return [function for functions in table.values() for function in functions]


def _set(values: Iterable[str] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(values)


def _describe(function: Callable) -> str:
    return f"{getattr(function, '__module__', '?')}.{getattr(function, '__qualname__', repr(function))}"
