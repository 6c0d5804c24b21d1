"""gunicorn settings for Gatehouse: one gthread worker (see SPEC §7), graceful 25 s stop."""

import os

bind = os.environ.get("GATEHOUSE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GATEHOUSE_WORKERS", "1"))
worker_class = "gthread"
threads = int(os.environ.get("GATEHOUSE_THREADS", "4"))
graceful_timeout = 25
timeout = 30
keepalive = 5
# Request line and header limits well inside the app's own 16 KiB body limit.
limit_request_line = 8190
accesslog = "-"
# No query strings in the access log: `next=` and friends stay out of the logs.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'
# gunicorn 24+ opens a runtime control socket in $HOME by default; Gatehouse needs none,
# and several test servers (or ProtectHome= under systemd) would trip over a shared path.
control_socket_disable = True
