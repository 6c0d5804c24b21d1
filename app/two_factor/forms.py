"""Forms of the /two-factor page; each carries a CSRF token (flask-wtf)."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField


class PasswordForm(FlaskForm):
    """Begin enrolling, or replace the recovery codes: the current password proves it is you."""

    password = PasswordField("Current password")


class ConfirmForm(FlaskForm):
    code = StringField("Code from the app")


class DisableForm(FlaskForm):
    password = PasswordField("Current password")
    code = StringField("Code from the app, or a recovery code")
