"""First-run setup from a test: the code the app wrote, and the /setup form posted."""

from __future__ import annotations

from tests.support.app import csrf_token

NEW = "a brand new master password"


def read_code(app) -> str:
    return (app.config["GATEHOUSE_INSTANCE_DIR"] / "setup-code").read_text().strip()


def post_setup(client, code, password=NEW, confirm=None):
    token = csrf_token(client, "/setup")
    return client.post("/setup", data={"csrf_token": token, "code": code, "password": password, "confirm": confirm or password})
