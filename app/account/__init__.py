"""The signed-in admin's own pages."""
