"""Forms of the /apps page; each carries a CSRF token (flask-wtf). Checking the values is the
clients service's job (app/oidc/clients.py), so the CLI and the page refuse the same things."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField


class AddAppForm(FlaskForm):
    name = StringField("Name")
    redirect_uris = TextAreaField("Redirect URIs")
    post_logout_redirect_uris = TextAreaField("Post-logout redirect URIs")
    groups = StringField("Groups", default="admins")
    public = BooleanField("Public app")
    two_factor = BooleanField("Needs two-factor sign-in")


class RemoveForm(FlaskForm):
    """Only the CSRF token: one instance serves every Remove button (the token is per browser)."""
