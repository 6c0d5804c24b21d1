"""Passkeys: add and remove them on /two-factor, sign in with one at /login and /login/code."""
