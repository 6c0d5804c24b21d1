"""Forms of the /two-factor page; each carries a CSRF token (flask-wtf).

Several forms share field names (`password`, `code`: the routes' contract), so each form on
the page gives its fields their own element ids (`with_ids`)."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField


class PasswordForm(FlaskForm):
    """Begin enrolling, or replace the recovery codes: the current password proves it is you."""

    password = PasswordField("Current password")


class PasskeyForm(PasswordForm):
    """Add a passkey: the current password, and a name for it (static/js/passkeys.js posts it)."""

    name = StringField("Name")


class ConfirmForm(FlaskForm):
    code = StringField("Code from the app")


class DisableForm(FlaskForm):
    password = PasswordField("Current password")
    code = StringField("Code from the app, or a recovery code")


def with_ids(form: FlaskForm, **ids: str) -> FlaskForm:
    """Give fields their element ids (`password="begin-password"`); labels and errors follow."""
    for name, element_id in ids.items():
        getattr(form, name).id = element_id
    return form
