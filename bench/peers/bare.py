"""A minimal Flask app: the floor any Flask app in the same server stands on.

Two routes and nothing else: no extensions, no request hooks, no logging (gunicorn runs it
without an access log). `/page` renders a small Jinja page, as a Flask app would; `/204`
answers 204 with no body, the shape of a forward-auth answer.
"""

from flask import Flask, render_template
from jinja2 import DictLoader

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1><p>A small page from a bare Flask app.</p></main></body></html>
"""

app = Flask(__name__)
app.jinja_loader = DictLoader({"page.html": PAGE})  # compiled once, cached, like a template file


@app.get("/page")
def page():
    return render_template("page.html", title="Bare page")


@app.get("/204")
def no_content():
    return "", 204
