"""The project's settings with no cache at all, for bench/datasette.py: Datasette caches
nothing on the server, so for a fair comparison our pages render every fragment (the filter
form, the data version, facet counts) on every request too."""

from claimtracker.settings import *  # noqa: F403

CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
CLAIM_FACET_CACHE_SECONDS = 0
CLAIM_PAGE_CACHE_SECONDS = 0
