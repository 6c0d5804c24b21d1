"""Security primitives with no Flask in them: password hashing and token signing."""
