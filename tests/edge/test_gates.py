"""The declared request hooks (app/edge/gates.py): the request gates run as one hook, in order, and
Flask runs a hook only where its declaration says it acts (`scoped`), in Flask's own order."""

from __future__ import annotations

from flask import Blueprint, Flask

from app.edge import gates
from app.edge.gates import Gate
from app.web.application import GatehouseFlask


def _names(functions) -> list[str]:
    return [getattr(f, "__name__", repr(f)) for f in functions]


def _scoped(app, stage, method, endpoint):
    blueprint = endpoint.rpartition(".")[0] if endpoint and "." in endpoint else None
    return _names(gates.scoped(app, stage, method, endpoint, lambda: [blueprint] if blueprint else [],
                               app.ensure_sync))


def test_a_page_load_meets_only_the_gates(app):
    assert _scoped(app, "before", "GET", "account.home") == ["request_gates"]
    assert _scoped(app, "after", "GET", "account.home") == []
    assert _scoped(app, "teardown", "GET", "account.home") == []
    assert _scoped(app, "before", "GET", None) == ["request_gates"]  # a 404 too


def test_a_sign_in_meets_the_limiter_before_csrf_and_the_forms_csp(app):
    assert _scoped(app, "before", "POST", "auth.login") == ["request_gates", "_judge", "csrf_protect"]
    assert _scoped(app, "after", "POST", "auth.login") == ["returning_form_csp", "_issue_device"]
    assert _scoped(app, "teardown", "POST", "auth.login") == ["_release"]
    assert _scoped(app, "after", "GET", "auth.login") == ["returning_form_csp"]
    assert _scoped(app, "before", "DELETE", "sessions.index") == ["request_gates", "csrf_protect"]


def test_the_limiter_acts_on_its_guarded_views_only(app):
    assert "_judge" in _scoped(app, "before", "POST", "account.password")
    assert "_judge" not in _scoped(app, "before", "POST", "auth.logout")


def _toy(cls):
    """Hooks on the app and a blueprint, each recording its name; some declared narrowly."""
    app = cls(__name__)
    calls: list[str] = []
    bp = Blueprint("bp", __name__)

    def record(name, result=None):
        def hook(*args):
            calls.append(name)
            return args[0] if args and hasattr(args[0], "status_code") else result

        hook.__name__ = name
        return hook

    for name in ("app_b1", "app_b2"):
        app.before_request(record(name))
    for name in ("bp_b1", "bp_b2"):
        bp.before_request(record(name))
    for name in ("app_a1", "app_a2"):
        app.after_request(record(name))
    bp.after_request(record("bp_a1"))
    app.teardown_request(record("app_t1"))
    bp.teardown_request(record("bp_t1"))
    bp.add_url_rule("/x", "x", lambda: "x", methods=["GET", "POST"])
    app.register_blueprint(bp)
    return app, calls


def test_the_order_is_flasks_when_every_hook_acts():
    ours, seen = _toy(GatehouseFlask)
    stock, expected = _toy(Flask)
    for method in ("GET", "POST"):
        seen.clear(), expected.clear()
        assert ours.test_client().open("/x", method=method).status_code == 200
        assert stock.test_client().open("/x", method=method).status_code == 200
        assert seen == expected and len(seen) == 9


def test_a_hook_runs_only_where_it_is_declared_and_an_undeclared_one_everywhere():
    app, seen = _toy(GatehouseFlask)
    functions = {f.__name__: f for table in (app.before_request_funcs, app.after_request_funcs,
                                             app.teardown_request_funcs) for fs in table.values() for f in fs}
    gates.declare(app, "posts only", "before", functions["app_b2"], methods={"POST"})
    gates.declare(app, "elsewhere", "after", functions["bp_a1"], endpoints={"bp.other"})
    gates.declare(app, "here", "teardown", functions["bp_t1"], endpoints={"bp.x"})
    client = app.test_client()
    client.get("/x")
    assert seen == ["app_b1", "bp_b1", "bp_b2", "app_a2", "app_a1", "bp_t1", "app_t1"]
    seen.clear()
    client.post("/x")
    assert seen == ["app_b1", "app_b2", "bp_b1", "bp_b2", "app_a2", "app_a1", "bp_t1", "app_t1"]


def test_methods_no_declaration_names_share_one_entry(app):
    client = app.test_client()
    for n in range(40):
        client.open("/", method=f"X{n}")
    assert len(app.extensions["gatehouse.edge.scoped"]) < 20


def test_the_gates_run_in_order_and_a_refusal_stops_the_rest():
    app = GatehouseFlask(__name__)
    seen: list[str] = []

    def gate(name, refuse=False):
        def check(environ, endpoint):
            seen.append(name)
            return (lambda: ("refused", 503)) if refuse else None

        return check

    gates.install_gates(app, [Gate("one", gate("one")), Gate("two", gate("two"), methods=frozenset({"POST"})),
                              Gate("three", gate("three", refuse=True)), Gate("four", gate("four"))])
    app.add_url_rule("/", "index", lambda: "ok", methods=["GET", "POST"])
    assert app.test_client().get("/").status_code == 503 and seen == ["one", "three"]
    seen.clear()
    assert app.test_client().post("/").status_code == 503 and seen == ["one", "two", "three"]
    assert len(app.before_request_funcs[None]) == 1  # one hook, four declared gates
    assert [h.name for h in app.extensions["gatehouse.edge.hooks"]] == ["one", "two", "three", "four"]


def test_narrowing_hooks_nobody_adopted_is_an_error(app):
    import pytest

    with pytest.raises(gates.EdgeError, match="no hooks were adopted"):
        gates.restrict(app, "a limiter that is not there", endpoints=["auth.login"])
