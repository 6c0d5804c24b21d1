"""Test helpers, laid out like the tree they serve.

- external.py: `require_external` (skip locally, fail in CI when an outside program is missing)
- postgres.py: the PostgreSQL server for tests, throw-away databases, and `--db` (a pytest plugin)
- redis.py: the machine's Redis under a per-test prefix, and a private redis-server (a pytest plugin)
- ratelimit.py: a clock the test moves, sign-in posts from chosen addresses

The e2e helpers (real gunicorn, nginx) stay in tests/e2e/. tests/conftest.py loads the
plugins and re-exports what tests import from it (PASSWORD, csrf_token, require_external, ...).
"""
