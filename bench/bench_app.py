"""The shipped app plus the bare routes of bench/bare.py, so one server measures auth against no auth.

gunicorn loads it exactly as it loads `wsgi:app` (same config, same hooks).
"""

from app import create_app
from app.runtime.lifecycle import start_serving
from bench.bare import add_bare_routes

app = create_app()
add_bare_routes(app)
start_serving(app)
