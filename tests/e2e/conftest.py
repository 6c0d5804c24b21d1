import pytest

from tests.conftest import PASSWORD
from tests.e2e.server import Server


@pytest.fixture
def server(tmp_path):
    """Real gunicorn on a free loopback port, with the master password set."""
    srv = Server(tmp_path / "instance")
    srv.prepare(PASSWORD)
    srv.start()
    yield srv
    srv.stop()
