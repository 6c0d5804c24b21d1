"""Forms of the account pages; each carries a CSRF token (flask-wtf)."""

from flask_wtf import FlaskForm
from wtforms import PasswordField


class PasswordForm(FlaskForm):
    current = PasswordField("Current password")
    new = PasswordField("New password")
    confirm = PasswordField("Repeat the new password")
