"""Every page: one h1, a label for every input, no inline script or style (the CSP forbids
them), and tables with header cells."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


class PageAudit(HTMLParser):
    def __init__(self):
        super().__init__()
        self.h1 = 0
        self.label_targets, self.inputs, self.problems = set(), [], []
        self.label_depth = 0
        self.tables = self.table_headers = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "style" in attrs or tag == "style":
            self.problems.append(f"inline style on <{tag}>")
        # A JSON-LD data block is not executed (and CSP does not apply to it); code is.
        is_data = attrs.get("type") == "application/ld+json"
        if tag == "script" and "src" not in attrs and not is_data:
            self.problems.append("inline <script>")
        if any(name.startswith("on") for name in attrs):
            self.problems.append(f"inline event handler on <{tag}>")
        if tag == "h1":
            self.h1 += 1
        elif tag == "label":
            self.label_depth += 1
            if attrs.get("for"):
                self.label_targets.add(attrs["for"])
        elif tag in ("input", "select", "textarea"):
            if attrs.get("type") not in ("hidden", "submit", "button"):
                labelled = self.label_depth > 0 or "aria-label" in attrs
                self.inputs.append((attrs.get("name"), attrs.get("id"), labelled))
        elif tag == "table":
            self.tables += 1
        elif tag == "th":
            self.table_headers += 1

    def handle_endtag(self, tag):
        if tag == "label":
            self.label_depth -= 1

    def unlabelled(self):
        return [
            name
            for name, id_, labelled in self.inputs
            if not (labelled or id_ in self.label_targets)
        ]


def page_urls(claim, actor, source):
    return [
        reverse("claims:claim-list"),
        reverse("claims:claim-list") + "?stated_from=bad",
        claim.get_absolute_url(),
        reverse("claims:claim-create"),
        reverse("claims:claim-update", kwargs={"pk": claim.pk}),
        reverse("claims:claim-delete", kwargs={"pk": claim.pk}),
        reverse("claims:actor-list"),
        actor.get_absolute_url(),
        reverse("claims:actor-create"),
        reverse("claims:actor-update", kwargs={"slug": actor.slug}),
        reverse("claims:actor-delete", kwargs={"slug": actor.slug}),
        reverse("claims:source-list"),
        source.get_absolute_url(),
        reverse("claims:source-create"),
        reverse("claims:source-update", kwargs={"pk": source.pk}),
        reverse("claims:source-delete", kwargs={"pk": source.pk}),
    ]


@pytest.fixture
def audits(admin_client, claim, actor, source):
    result = {}
    for url in page_urls(claim, actor, source):
        audit = PageAudit()
        audit.feed(admin_client.get(url).content.decode())
        result[url] = audit
    admin_client.logout()
    login = PageAudit()
    login.feed(admin_client.get(reverse("login")).content.decode())
    result["login"] = login
    return result


def test_every_page_has_exactly_one_h1(audits):
    assert {url: a.h1 for url, a in audits.items() if a.h1 != 1} == {}


def test_every_input_has_a_label(audits):
    assert {url: a.unlabelled() for url, a in audits.items() if a.unlabelled()} == {}


def test_no_page_has_inline_script_or_style(audits):
    assert {url: a.problems for url, a in audits.items() if a.problems} == {}


def test_every_table_has_header_cells(audits):
    assert all(a.table_headers >= a.tables for a in audits.values())
    assert any(a.tables for a in audits.values())


def test_pages_link_a_favicon_that_exists(reader_client):
    from django.contrib.staticfiles import finders

    response = reader_client.get("/claims/")
    assert response.status_code == 200
    assert b'rel="icon" href="/static/img/favicon.svg"' in response.content
    assert finders.find("img/favicon.svg") is not None


def test_favicon_ico_redirects_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("img/favicon.svg")
