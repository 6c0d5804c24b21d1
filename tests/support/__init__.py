"""Test helpers, laid out like the tree they serve. Every helper a test imports lives here: a test
module never imports from another test module or from a conftest.

- app.py: the test password and secret, an app on a copy of the migrated database, `CSRF_RE`,
  `csrf_token`, `AuthActions` (sign-in and sign-out)
- external.py: `require_external` (skip locally, fail in CI when an outside program is missing)
- postgres.py: the PostgreSQL server for tests, throw-away databases, and `--db` (a pytest plugin)
- redis.py: the machine's Redis under a per-test prefix, and a private redis-server (a pytest plugin)
- ratelimit.py: a clock the test moves, sign-in posts from chosen addresses
- access.py, oidc.py, passkeys.py, two_factor.py, sessions.py, setup.py, receiver.py: helpers for
  those features' tests (the SPEC's rules file, a registered app, a software authenticator, codes,
  session rows, the /setup form, a notification receiver)
- faults.py: real faults (a PostgreSQL backend terminated, a file system that fills up)
- containers.py: podman, the Debian base image and the images built on it
- chrome.py: headless Chromium under selenium, viewport and colour-scheme emulation (browser
  tests and `make screenshots`)
- browser_pages.py: Chromium from a test: `start_chromium`, screenshots, waiting, submitting
- served.py: real gunicorn driven over HTTP: sign-in and sign-out, the home page, its workers
- proxied.py: forward auth through real nginx or Caddy with two tools (`proxied_portal`,
  `sign_in`, `rd_of`; the `tools` fixture, a pytest plugin)

The machinery that starts the real programs (server.py: gunicorn; nginx.py, caddy.py, apache.py,
tools.py) stays in tests/e2e/, and served.py and proxied.py build on it. tests/conftest.py holds
the app fixtures and loads the plugins.
"""
