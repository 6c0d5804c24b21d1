"""Forms of the sign-in pages; each carries a CSRF token (flask-wtf)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField


class LoginForm(FlaskForm):
    password = PasswordField("Master password")
    remember = BooleanField("Keep me signed in on this browser")  # off by default (SPEC §17)
    next = HiddenField()
    rd = HiddenField()  # an absolute return address from forward auth (docs/forward-auth.md)
    reauth = HiddenField()  # "1": sign in again although signed in (an access rule's max_age, docs/access.md)


class LogoutForm(FlaskForm):
    """Only the CSRF token: signing out must be a deliberate POST from our own page."""


class CodeForm(FlaskForm):
    """The second step of a sign-in: a code from the app, or a recovery code."""

    code = StringField("Code")
