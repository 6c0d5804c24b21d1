"""The WSGI entry point gunicorn loads: `gunicorn -c gunicorn.conf.py wsgi:app`."""

from app.runtime.workers import check_workers, gunicorn_settings

check_workers(cfg=gunicorn_settings())  # before anything else: refuse a second worker with local state

from app import create_app  # noqa: E402
from app.runtime.lifecycle import start_serving  # noqa: E402

app = create_app()
start_serving(app)
