"""A form's error carried across the redirect after a failed POST (Post/Redirect/Get).

A page with several forms that post to their own URLs (/two-factor) answers a failed POST
with 303 back to the page, the error kept in Flask's signed cookie session for the next
GET only: the address bar never stays on the POST URL, a reload does not post again, and
the page puts the message at its field (templates/_forms.html) in the section it opened.
Only the message travels (never what was typed).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import redirect, session

KEY = "gatehouse_form_error"


@dataclass(frozen=True)
class CarriedError:
    form: str  # which form on the page ("disable")
    field: str | None  # which of its fields ("code"), or None for the form as a whole
    message: str


def back_to(url: str, form: str, field: str | None, message: str):
    """303 to `url` (the form's page), the error kept for its next GET."""
    session[KEY] = [form, field, message]
    return redirect(url, 303)


def take() -> CarriedError | None:
    """The error a redirect carried here, once."""
    kept = session.pop(KEY, None)
    if not isinstance(kept, list) or len(kept) != 3:
        return None
    return CarriedError(*kept)
