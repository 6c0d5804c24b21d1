"""A real Apache (Debian's apache2) with mod_auth_openidc (libapache2-mod-auth-openidc) in the
foreground: an OpenID Connect relying party in front of one page, as an admin would set it up
(docs/oidc.md, "Apache with mod_auth_openidc").

The protected page is a server-side include that shows what the module passed on: the user
(`REMOTE_USER`, from `preferred_username`) and the `groups` claim. Apache refuses to serve as
root, so under root its children run as www-data: its folder is made readable for them.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

import requests

from tests.e2e.server import free_port, wait_answering

MODULES = Path("/usr/lib/apache2/modules")
NEEDED = ("mod_mpm_event.so", "mod_authn_core.so", "mod_authz_core.so", "mod_authz_user.so", "mod_include.so", "mod_mime.so",
          "mod_dir.so", "mod_auth_openidc.so")
PAGE = """<!doctype html><title>protected</title>
<h1 id="tool">Protected page</h1>
<p id="user"><!--#echo var="REMOTE_USER" --></p>
<p id="groups"><!--#echo var="OIDC_CLAIM_groups" --></p>
"""


def apache_binary() -> str | None:
    found = shutil.which("apache2") or next((p for p in ("/usr/sbin/apache2",) if os.access(p, os.X_OK)), None)
    if found is None or not all((MODULES / name).exists() for name in NEEDED):
        return None
    return found


def site_config(prefix: Path, port: int, issuer: str, client_id: str, secret: str) -> str:
    """The relying party: the whole /protected/ needs a sign-in at Gatehouse. A refresh before
    every request once the access token has less than an hour left (Gatehouse gives an hour), so
    each page load asks Gatehouse again, and a refused refresh ends the app's session
    (`logout_on_error`): signing out of Gatehouse ends the app's access at its next request."""
    base = f"http://localhost:{port}"
    user = "User www-data\nGroup www-data\n" if os.geteuid() == 0 else ""
    modules = "\n".join(f"LoadModule {name[4:-3]}_module {MODULES / name}" for name in NEEDED)
    return f"""{modules}
{user}ServerName localhost
Listen 127.0.0.1:{port}
PidFile {prefix}/apache.pid
DefaultRuntimeDir {prefix}
ErrorLog {prefix}/error.log
LogLevel warn auth_openidc:info
DocumentRoot {prefix}/htdocs
TypesConfig /etc/mime.types
DirectoryIndex index.shtml index.html
AddOutputFilter INCLUDES .shtml
<Directory {prefix}/htdocs>
    Options +Includes
    Require all granted
</Directory>

OIDCProviderMetadataURL {issuer}/.well-known/openid-configuration
OIDCClientID {client_id}
OIDCClientSecret {secret}
OIDCRedirectURI {base}/protected/redirect_uri
OIDCCryptoPassphrase {secrets.token_hex(16)}
OIDCScope "openid profile email groups offline_access"
OIDCPKCEMethod S256
OIDCRemoteUserClaim preferred_username
OIDCRefreshAccessTokenBeforeExpiry 3600 logout_on_error
OIDCDefaultLoggedOutURL {base}/loggedout.html
OIDCSessionType server-cache
OIDCCacheType shm

<Location /protected>
    AuthType openid-connect
    Require valid-user
</Location>
"""


class Apache:
    """apache2 -DFOREGROUND on a free loopback port (known before the app is registered, for its
    redirect URI), started as the relying party of one registered app."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        self.prefix = Path(tempfile.mkdtemp(prefix="gatehouse-apache-"))
        self.prefix.chmod(0o755)  # www-data reads the pages and writes nothing here
        htdocs = self.prefix / "htdocs"
        (htdocs / "protected").mkdir(parents=True)
        (htdocs / "protected" / "index.shtml").write_text(PAGE)
        (htdocs / "loggedout.html").write_text('<!doctype html><title>signed out</title><h1 id="out">Signed out of the app</h1>\n')
        for path in (htdocs, htdocs / "protected"):
            path.chmod(0o755)
        self.config = self.prefix / "apache2.conf"
        self.process: subprocess.Popen | None = None

    @property
    def redirect_uri(self) -> str:
        return f"{self.url}/protected/redirect_uri"

    def start(self, binary: str, issuer: str, client_id: str, secret: str) -> "Apache":
        self.config.write_text(site_config(self.prefix, self.port, issuer, client_id, secret))
        command = [binary, "-f", str(self.config), "-d", str(self.prefix)]
        check = subprocess.run([*command, "-t"], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        self.process = subprocess.Popen([*command, "-DFOREGROUND"], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        wait_answering(self.process, lambda: requests.get(self.url + "/loggedout.html", timeout=1), "apache",
                       self.errors)
        return self

    def errors(self) -> str:
        log = self.prefix / "error.log"
        return log.read_text(errors="replace") if log.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()
        shutil.rmtree(self.prefix, ignore_errors=True)
