"""Cached list pages that are never older than the last write.

Every write changes one value in the shared cache, the data version (`bump_data_version`).
A cached fragment's key includes it, so after any write every worker and every app server
computes a new key on its next request and renders afresh; the old entries just expire.

The version is a fresh random value on each bump rather than a counter: setting it needs no
atomic increment (the file cache has none), and no two bumps can ever produce the same value,
so a page rendered before a write can never be found under a version set after it.

Writes bump the version twice: at once, so a later read in the same transaction (and the
test suite, whose transactions never commit) sees the change; and when the transaction
commits, so a page another worker rendered from the data before the commit is not found
under the version the first bump set. Every write goes through a service of
claims.services, and its @service decorator bumps the version when the service returns,
so no write path can forget to.
"""

import hashlib
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

DATA_VERSION_KEY = "data-version"


def data_version():
    """The current data version (a short text), created on first use."""
    version = cache.get(DATA_VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        if not cache.add(DATA_VERSION_KEY, version, None):
            version = cache.get(DATA_VERSION_KEY) or version
    return version


def _set_new_version():
    cache.set(DATA_VERSION_KEY, uuid.uuid4().hex, None)


def bump_data_version(using=None):
    """Mark the data as changed: now, and again when the current transaction commits."""
    _set_new_version()
    connection = transaction.get_connection(using)
    if connection.in_atomic_block:
        # Once per transaction is enough: an import saving 100,000 rows queues one callback.
        if any(callback is _set_new_version for _, callback, *_ in connection.run_on_commit):
            return
        transaction.on_commit(_set_new_version, using=using)


def _permission_set(user):
    """What a user may do, as a short digest: two users with the same permissions see the
    same page. (The permissions are loaded once per request and reused by the templates.)"""
    permissions = sorted(user.get_all_permissions()) if user.is_active else []
    return hashlib.sha256("|".join(permissions).encode()).hexdigest()[:16]


def fragment_key(request, name):
    """The key of fragment `name` of this page: the data version, the page's path and query
    string and the user's permission set. Nothing else of the user's (name, CSRF token) may
    be rendered in a cached fragment."""
    query = hashlib.sha256(request.get_full_path().encode()).hexdigest()
    return f"page:{name}:{data_version()}:{_permission_set(request.user)}:{query}"


def cached_fragment(request, name, template, build):
    """(html, status, context) of `template` rendered with the context `build()` returns
    ({"status": code, ...}); from the shared cache when the same page was rendered for the
    same permissions since the last write (then `context` is None)."""
    seconds = settings.CLAIM_PAGE_CACHE_SECONDS
    key = fragment_key(request, name) if seconds > 0 else None
    if key is not None:
        hit = cache.get(key)
        if hit is not None:
            html, status = hit
            return mark_safe(html), status, None  # noqa: S308 - our own rendered template
    context = build()
    html = render_to_string(template, context, request=request)
    if key is not None:
        cache.set(key, (html, context["status"]), seconds)
    return mark_safe(html), context["status"], context  # noqa: S308 - rendered, escaped
