"""The JSON API under /api/v1: sign in for a cookie or a bearer token, check, sign out, forward auth."""
