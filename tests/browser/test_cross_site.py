"""Another site cannot sign the admin's browser out: a real Chromium auto-submits its form."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from tests.support.browser_pages import path_of, submit, wait_for
from tests.support.app import PASSWORD


def attacker_site(target: str) -> ThreadingHTTPServer:
    """A page on another site (http://localhost:PORT, while Gatehouse is http://127.0.0.1:PORT)."""
    page = (f'<!doctype html><form method="post" action="{target}" enctype="text/plain">'
            '<input name="x" value="y"></form><script>document.forms[0].submit()</script>').encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    site = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    return site


def test_a_cross_site_text_plain_form_does_not_sign_out(browser, server):
    browser.get(server.url + "/login")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    submit(browser)
    assert wait_for(browser, server, "/") == "/"
    site = attacker_site(server.url + "/api/v1/auth/logout")
    try:
        browser.get(f"http://localhost:{site.server_address[1]}/")
        WebDriverWait(browser, 15).until(lambda d: path_of(d, server) == "/api/v1/auth/logout")
        assert "Logged out successfully." in browser.find_element(By.TAG_NAME, "body").text  # the form did arrive
    finally:
        site.shutdown()
    browser.get(server.url + "/")
    assert path_of(browser, server) == "/"  # still signed in, not sent to /login
    assert browser.find_element(By.TAG_NAME, "h1").text == "Signed in"
