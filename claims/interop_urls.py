"""Exports, import and feed, in the `claims` namespace next to claims/urls.py (see
claimtracker/urls.py, which joins the two lists)."""

from django.urls import path

from . import exports, feeds, imports

urlpatterns = [
    path("claims.csv", exports.export_csv, name="claim-export-csv"),
    path("claims.json", exports.export_json, name="claim-export-json"),
    path("claims.jsonld", exports.export_jsonld, name="claim-export-jsonld"),
    path("claims/import/", imports.claim_import, name="claim-import"),
    path("feeds/status/", feeds.status_feed, name="status-feed"),
]
