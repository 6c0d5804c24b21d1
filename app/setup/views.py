"""`/setup`: open only while no master password is set; afterwards 404."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from app.extensions import limiter
from app.security.passwords import MIN_CHARACTERS, PasswordRejected
from app.services import setup as setup_service
from app.setup.forms import SetupForm
from app.web.setup_gate import setup_done

bp = Blueprint("setup", __name__)


@bp.route("/setup", methods=["GET", "POST"])
@limiter.guarded
def setup():
    """Set the first password; needs the code from the instance folder. 403 on a wrong code."""
    if setup_done():
        abort(404)
    instance_dir = current_app.config["GATEHOUSE_INSTANCE_DIR"]
    form = SetupForm()
    if request.method != "POST":  # GET, and the HEAD Flask adds to it: never the POST path
        code_file = setup_service.ensure_code(instance_dir)
        return render_template("setup/setup.html", form=form, code_file=code_file, min_chars=MIN_CHARACTERS)
    try:
        done = setup_service.complete(instance_dir, form.code.data or "", form.password.data or "", form.confirm.data or "")
    except PasswordRejected as exc:
        return _again(form, str(exc), 400)
    if not done:
        if setup_done():
            abort(404)
        return _again(form, "Incorrect setup code.", 403)
    flash("The master password is set. Sign in with it.")
    return redirect(url_for("auth.login"), 303)


def _again(form: SetupForm, error: str, status: int):
    code_file = setup_service.code_path(current_app.config["GATEHOUSE_INSTANCE_DIR"])
    return render_template("setup/setup.html", form=form, code_file=code_file, min_chars=MIN_CHARACTERS, error=error), status
