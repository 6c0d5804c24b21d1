"""gunicorn settings for the peer apps: the shipped worker class, threads and keep-alive; no log, no hooks.

Read from the shipped gunicorn.conf.py (run from the repository root, as gunicorn is), so a
change there changes both sides of every comparison. No access log: the peers are "no logging".
"""

import os
import runpy

_shipped = runpy.run_path(os.path.join(os.getcwd(), "gunicorn.conf.py"))

bind = os.environ["BENCH_PEER_BIND"]
workers = 1
worker_class = _shipped["worker_class"]
threads = _shipped["threads"]
keepalive = _shipped["keepalive"]
timeout = _shipped["timeout"]
accesslog = None
control_socket_disable = True
