"""SPEC §4b's last bullets through the app: the portal reached by IP address or one-label name
with no GATEHOUSE_PUBLIC_URL keeps `next`/`rd` (the issue: it landed on / after sign-in, and
/verify's 401 said only /login)."""

import pytest

from tests.support.app import CSRF_RE, PASSWORD


@pytest.mark.parametrize("base", ["http://192.168.1.10", "http://nas", "http://nas:8080", "http://[fd00::10]:8000"])
def test_rd_survives_sign_in(client, base):
    rd = f"{base}/sessions?tab=all"
    page = client.get("/login", query_string={"rd": rd}, base_url=base)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f'name="rd" type="hidden" value="{rd}"' in html.replace("&amp;", "&")
    done = client.post("/login", base_url=base, data={"csrf_token": CSRF_RE.search(html).group(1), "password": PASSWORD,
                                                       "rd": rd})
    assert done.status_code == 303 and done.location == rd
    # Signed in: straight on.
    again = client.get("/login", query_string={"rd": rd}, base_url=base)
    assert again.status_code == 303 and again.location == rd


@pytest.mark.parametrize("host", ["192.168.1.10", "nas", "nas:8080", "[fd00::10]:8000"])
def test_verify_401_carries_the_login_with_rd(client, host):
    answer = client.get("/api/v1/auth/verify", headers={"Host": host, "X-Original-URI": "/sessions?tab=all"})
    assert answer.status_code == 401
    assert answer.headers["Location"] == f"http://{host}/login?rd=http%3A%2F%2F{host.replace('[', '%5B').replace(']', '%5D').replace(':', '%3A')}%2Fsessions%3Ftab%3Dall"


def test_another_host_still_goes_home(client):
    page = client.get("/login", query_string={"rd": "http://192.168.1.11/"}, base_url="http://192.168.1.10")
    html = page.get_data(as_text=True)
    assert 'name="rd" type="hidden" value="/"' in html and "192.168.1.11" not in html
