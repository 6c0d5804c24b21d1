"""The WSGI entry point gunicorn loads: `gunicorn -c gunicorn.conf.py wsgi:app`.

Importing it checks the worker count and builds the app, nothing more: the instance lease,
the database check and the background job start when a worker starts serving
(gunicorn.conf.py's `post_worker_init`), or on the first request without that file.
"""

from app.runtime.workers import check_workers, gunicorn_settings

check_workers(cfg=gunicorn_settings())  # before anything else: refuse a second worker with local state

from app.factory import create_app  # noqa: E402
from app.runtime.lifecycle import serve_on_first_request  # noqa: E402

app = create_app()
serve_on_first_request(app)
