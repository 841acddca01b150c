"""The interactive API docs work in real Chromium under the site's CSP, offline."""

import pytest
from playwright.sync_api import expect

# serialized_rollback: the flush after a transactional test would drop the role groups.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_swagger_ui_renders_the_operations_without_csp_script_errors(page, live_server, settings):
    settings.CLAIMTRACKER_PUBLIC_READ = True  # the docs follow the read rule; no login here
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    # Any request off this server would be a CDN: fail it.
    page.route(
        lambda url: not url.startswith(live_server.url),
        lambda route: (problems.append(route.request.url), route.abort()),
    )
    page.goto(f"{live_server.url}/api/docs/")
    expect(
        page.locator(".opblock-summary-path", has_text="/api/claims/{id}/status/")
    ).to_be_visible()
    assert problems == []
