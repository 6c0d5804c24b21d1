"""First-run setup page."""
