"""The worker's early answer, declared: how gunicorn's worker (app/edge/worker.py) asks the app
whether a whole request it holds can be answered from its main loop, without a thread.

Light on purpose: the worker class is imported in gunicorn's master, which must not load the
application (nor prometheus_client before gunicorn.conf.py prepares it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from app.edge.http_reader import Reader

EXTENSION = "gatehouse.edge.early"  # where the app keeps its early answer (app/edge/stack.py)


class EarlyAnswer(Protocol):
    def __call__(self, request: Reader, peer) -> bytes | None:
        """The whole HTTP response for `request` (whole, as the worker's reader read it: its head,
        its body's length, anything pipelined after it; from `peer`, gunicorn's client address),
        or None to let a thread run it in the app."""


def early_answer_of(wsgi) -> EarlyAnswer | None:
    """The early answer the app `wsgi` (what gunicorn loaded) offers, or None (edge off, or not ours)."""
    extensions = getattr(wsgi, "extensions", None)
    return extensions.get(EXTENSION) if isinstance(extensions, dict) else None
