"""What answers before or around Flask's dispatch, and the one list of checks every path runs:
the request gates, the WSGI stack, the forward-auth shortcut, the worker and its early
refusals, the kept pages. app/edge/stack.py lists them in order; GATEHOUSE_EDGE=off turns the
shortcuts off. Imports nothing here: gunicorn's master imports the worker from this package.
"""
