import pytest

from tests.captures.pageserver import Handler, PageServer


@pytest.fixture
def page_server():
    Handler.seen.clear()
    with PageServer() as server:
        yield server


@pytest.fixture
def capture_settings(settings, page_server, tmp_path):
    """Captures may reach the local test server (and only its port); files go to tmp_path."""
    settings.CAPTURE_ALLOW_PRIVATE_ADDRESSES = True
    settings.CAPTURE_ALLOWED_PORTS = [80, 443, page_server.port]
    settings.CAPTURE_TIMEOUT_SECONDS = 1
    settings.CAPTURE_RETRY_DELAYS = [60, 300]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    return settings
