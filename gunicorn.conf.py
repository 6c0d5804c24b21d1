"""gunicorn settings for Gatehouse: one gthread worker (docs/design.md, "One worker, one
instance"), graceful 25 s stop.

The hooks below refuse a second worker with process-local state (in the master, where
the worker count is final), name this instance for the lease, start serving once a worker
has loaded the app, let a stopping worker shut down in order (background job, lease,
database), run the private metrics listener in the master when GATEHOUSE_METRICS_BIND
is set (app/runtime/metrics_listener.py), and make SIGHUP re-read the access rules in the
workers instead of replacing them (app/runtime/reload.py). Hooks import the app's modules inside the
function: the master never loads the app.
"""

import os
import socket
import time

from app.runtime.workers import check_workers, state_is_shared

bind = os.environ.get("GATEHOUSE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GATEHOUSE_WORKERS") or os.environ.get("WEB_CONCURRENCY") or "1")
# gthread, plus read deadlines: a request is buffered without a thread until its head and
# body are in, and must be complete within 10 s (app/edge/worker.py).
worker_class = "app.edge.worker.ReadDeadlineWorker"
threads = int(os.environ.get("GATEHOUSE_THREADS", "4"))
# gunicorn's default, named: the most client connections a worker holds at once (each is a file
# descriptor). deploy/gatehouse.service's LimitNOFILE is sized from it (docs/operations.md).
worker_connections = 1000
graceful_timeout = 25  # inside systemd's TimeoutStopSec=30
timeout = 30
keepalive = 5
# Request line and header limits well inside the app's own 16 KiB body limit.
limit_request_line = 8190
accesslog = "-"
# No query strings in the access log: `next=` and friends stay out of the logs.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'
# gunicorn counts no bytes for a body it hands to sendfile(), so static files would be
# logged with size 0; they are a few KiB, and plain writes keep the access log honest.
sendfile = False
# No gunicornc control socket: it lives in $HOME, which the systemd unit hides, and
# several instances on one host would share its path.
control_socket_disable = True
# JSON lines like the app's own (GATEHOUSE_LOG_FORMAT=json, the default), else gunicorn's text.
logger_class = "app.runtime.gunicorn_logging.GatehouseLogger"


def nworkers_changed(server, new_value, old_value):
    """Runs when the arbiter sets its worker count: at start-up and on SIGTTIN/SIGTTOU."""
    if old_value is None:
        check_workers(cfg=server.cfg)  # gunicorn prints the message and exits 1
    elif new_value > 1 and not state_is_shared(os.environ):
        server.log.error("ignoring a request for %s workers: state is process-local (GATEHOUSE_CACHE)", new_value)
        server.num_workers = old_value


def on_starting(server):
    # Workers inherit this: a restarted worker is the same instance and keeps the lease.
    os.environ["GATEHOUSE_INSTANCE_ID"] = f"{socket.gethostname()}:{os.getpid()}"
    # A setup code written before this moment is replaced at start-up (app/services/setup.py);
    # one a worker wrote is kept when another worker (re)starts.
    os.environ["GATEHOUSE_STARTED_AT"] = repr(time.time())
    # Before any worker imports prometheus_client: it reads PROMETHEUS_MULTIPROC_DIR once.
    from app.runtime import metrics_listener

    metrics_listener.prepare(os.environ)


def when_ready(server):
    from app.runtime import metrics_listener
    from app.runtime.reload import relay_to_workers

    relay_to_workers(server)  # SIGHUP re-reads the access rules in the workers (app/runtime/reload.py)

    bind = metrics_listener.start(server.cfg.address)
    if bind:
        server.log.info("metrics for Prometheus on http://%s/metrics", bind)


def post_fork(server, worker):
    from app.runtime import metrics_listener

    metrics_listener.close_in_worker()


def child_exit(server, worker):
    # In the master, for every worker that ended, even one killed by SIGKILL (worker_exit would not run).
    from app.runtime import metrics_listener

    metrics_listener.worker_gone(worker.pid)


def on_exit(server):
    from app.runtime import metrics_listener

    metrics_listener.cleanup()


def post_worker_init(worker):
    """The worker has loaded wsgi.py: take the instance lease and start the background job
    (app/runtime/lifecycle.py). A refusal is a boot error: gunicorn halts instead of retrying."""
    from app.runtime.lifecycle import start_serving
    from app.runtime.reload import listen
    from app.web.access import reload_rules

    start_serving(worker.wsgi)
    listen(lambda: reload_rules(worker.wsgi))


def worker_exit(server, worker):
    served = getattr(worker, "wsgi", None)  # absent when the worker failed to boot
    if served is not None:
        from app.runtime.lifecycle import stop_serving

        stop_serving(served)
