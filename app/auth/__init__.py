"""Signing in and out with the HTML form."""
