"""The WSGI entry point gunicorn loads: `gunicorn -c gunicorn.conf.py wsgi:app`."""

from app import create_app
from app.lifecycle import start_serving

app = create_app()
start_serving(app)
