"""Request-scoped helpers for views and extensions: the presented session, cookies, the
client address, error pages, security headers, the setup gate. Nothing here imports a service:
what they need (session validation, "is a password set") is passed in by `create_app`.
"""
