"""The Flask class (app/web/application.py): its cheaper `ensure_sync` changes nothing Flask decides."""

from __future__ import annotations

import functools


def test_plain_functions_and_methods_are_used_as_they_are(app):
    def view():
        return "x"

    class Hooks:
        def hook(self):
            return None

    bound = Hooks().hook
    assert app.ensure_sync(view) is view and app.ensure_sync(bound) is bound
    wrapped = functools.partial(view)
    assert app.ensure_sync(wrapped) is wrapped  # no code object of its own: Flask's check, same answer


def test_a_coroutine_function_still_goes_to_flask(app):
    async def view():
        return "x"

    try:
        wrapped = app.ensure_sync(view)
    except RuntimeError as error:  # Flask runs async views only with its "async" extra installed
        assert "async" in str(error)
    else:
        assert wrapped is not view


def test_every_registered_hook_and_view_is_plain(app):
    """What the shortcut assumes: nothing Gatehouse registers is async."""
    import inspect

    functions = [*app.view_functions.values(),
                 *(f for funcs in app.before_request_funcs.values() for f in funcs),
                 *(f for funcs in app.after_request_funcs.values() for f in funcs),
                 *(f for funcs in app.teardown_request_funcs.values() for f in funcs)]
    assert functions and not any(inspect.iscoroutinefunction(f) for f in functions)
    assert all(app.ensure_sync(f) is f for f in functions)
