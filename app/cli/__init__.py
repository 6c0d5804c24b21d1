"""The `gatehouse` command's groups, one module each: set-password (password.py), db upgrade,
backup and restore (database.py), sessions list|revoke (sessions.py), two-factor status|disable
(two_factor.py), unblock (unblock.py), serve (serve.py), oidc add|list|remove|rotate-key
(oidc.py), access check|explain (access.py), notify test (notify.py). The console entry point,
which builds the app for a command, is main.py; `register(app)` puts the same commands on
`app.cli`, for tests' `app.test_cli_runner()`.
"""

from __future__ import annotations

from flask import Flask

from app.cli.access import access_group
from app.cli.database import backup, db_group, restore
from app.cli.notify import notify_group
from app.cli.oidc import oidc_group
from app.cli.password import set_password
from app.cli.serve import serve
from app.cli.sessions import sessions_group
from app.cli.two_factor import two_factor_group
from app.cli.unblock import unblock

COMMANDS = (set_password, db_group, backup, restore, sessions_group, two_factor_group, unblock, serve, oidc_group,
            access_group, notify_group)
CONTEXT = {"help_option_names": ["-h", "--help"]}


def register(app: Flask) -> None:
    app.cli.context_settings.update(CONTEXT)
    for command in COMMANDS:
        app.cli.add_command(command)
