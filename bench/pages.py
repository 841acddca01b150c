"""What `make bench` measures: edit this list when pages change.

Each entry: (name, URL). `{placeholders}` are filled from the generated database by
bench/run.py (see `placeholders()` there): a heavy actor, a claim in the middle, the last
year of dates, a deep page number, a cursor at about row 500,000 of the default ordering.
A URL answering 404 is reported as "not in this version" rather than failing the run.
"""

PAGES = [
    ("claim list", "/claims/"),
    ("claim list, deep page (offset)", "/claims/?page={deep_page}"),
    ("claim list, deep page (cursor)", "/claims/?before={cursor_deep}"),
    ("claims by actor", "/claims/?actor={actor}"),
    ("claims by status + date range", "/claims/?status=denied&stated_from={from}&stated_to={to}"),
    ("text search, selective", "/claims/?q={rare_word}"),
    ("text search, common word", "/claims/?q={common_word}"),
    ("claim detail", "/claims/{claim_id}/"),
    ("actor page", "/actors/{actor}/"),
    ("API list", "/api/claims/"),
    ("API list, 10 per page", "/api/claims/?page_size=10"),
    ("API list, 100 per page", "/api/claims/?page_size=100"),
    ("API list, deep page (cursor)", "/api/claims/?before={cursor_deep}"),
    ("API claims by actor", "/api/claims/?actor={actor}"),
    ("admin changelist", "/admin/claims/claim/"),
    ("admin changelist, filtered", "/admin/claims/claim/?status__exact=denied"),
    ("healthz (trivial view)", "/healthz"),
]

# Pairs compared against a target: (deep, first, max ratio).
DEEP_PAGE_PAIRS = [
    ("claim list, deep page (offset)", "claim list", 1.5),
    ("claim list, deep page (cursor)", "claim list", 1.5),
    ("API list, deep page (cursor)", "API list", 1.5),
]
# Same query count expected for each group (rows per page differ).
SAME_QUERY_COUNT = [("API list, 10 per page", "API list", "API list, 100 per page")]

# Loaded with wrk under gunicorn, each next to the trivial view in the same run.
LOAD_PAGES = [
    ("healthz (trivial view)", "/healthz"),
    ("claim list", "/claims/"),
    ("claims by actor", "/claims/?actor={actor}"),
    ("API list", "/api/claims/"),
]
# Pages the speed goal names: each within GOAL_UNCACHED x its SQL floor without the page and
# facet caches, and GOAL_CACHED x that floor with them.
GOAL_PAGES = ["claim list", "claim detail", "actor page", "API list", "admin changelist"]
GOAL_UNCACHED, GOAL_CACHED = 3.0, 1.5
