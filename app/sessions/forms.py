"""Forms of the sessions page; only the CSRF token: revoking must be a deliberate POST from our page."""

from flask_wtf import FlaskForm


class RevokeForm(FlaskForm):
    """One instance serves every revoke button on the page (the token is per browser, not per form)."""
