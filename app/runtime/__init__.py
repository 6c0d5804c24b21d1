"""How Gatehouse runs as a server: the worker check, the instance lease, start and stop of a
serving process, the background job, and log formats. Wired from `create_app`, `wsgi.py` and
`gunicorn.conf.py`.
"""
