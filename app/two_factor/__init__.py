"""`/two-factor`: turn the second factor on and off, recovery codes (views.py)."""
