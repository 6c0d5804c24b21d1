"""The first-run form: the one-time code plus the new password twice."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField


class SetupForm(FlaskForm):
    code = StringField("Setup code")
    password = PasswordField("New master password")
    confirm = PasswordField("Repeat the password")
