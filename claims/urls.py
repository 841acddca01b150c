from django.urls import path

from . import bundles, exports, feeds, proposition_views, views

app_name = "claims"

urlpatterns = [
    path("", views.ClaimListView.as_view(), name="home"),
    path("claims/", views.ClaimListView.as_view(), name="claim-list"),
    path("claims.csv", exports.export_csv, name="claim-export-csv"),
    path("claims.json", exports.export_json, name="claim-export-json"),
    path("claims.jsonld", exports.export_jsonld, name="claim-export-jsonld"),
    path("claims.bundle.json", bundles.export_bundle, name="claim-export-bundle"),
    path("claims/import/", views.claim_import, name="claim-import"),
    path("feeds/status/", feeds.status_feed, name="status-feed"),
    path("claims/new/", views.ClaimCreateView.as_view(), name="claim-create"),
    path("claims/<int:pk>/", views.ClaimDetailView.as_view(), name="claim-detail"),
    path("claims/<int:pk>/edit/", views.ClaimUpdateView.as_view(), name="claim-update"),
    path("claims/<int:pk>/delete/", views.ClaimDeleteView.as_view(), name="claim-delete"),
    path("claims/<int:pk>/status/", views.claim_status, name="claim-status"),
    path("actors/", views.ActorListView.as_view(), name="actor-list"),
    path("actors/new/", views.ActorCreateView.as_view(), name="actor-create"),
    path("actors/suggest/", views.actor_suggest, name="actor-suggest"),
    path("actors/<slug:slug>/", views.ActorDetailView.as_view(), name="actor-detail"),
    path("actors/<slug:slug>/edit/", views.ActorUpdateView.as_view(), name="actor-update"),
    path("actors/<slug:slug>/delete/", views.ActorDeleteView.as_view(), name="actor-delete"),
    path("sources/", views.SourceListView.as_view(), name="source-list"),
    path("sources/new/", views.SourceCreateView.as_view(), name="source-create"),
    path("sources/<int:pk>/", views.SourceDetailView.as_view(), name="source-detail"),
    path("sources/<int:pk>/edit/", views.SourceUpdateView.as_view(), name="source-update"),
    # Propositions: the questions behind the claims, and each claim's stance on them.
    path("propositions/", proposition_views.PropositionListView.as_view(), name="proposition-list"),
    path(
        "propositions/new/",
        proposition_views.PropositionCreateView.as_view(),
        name="proposition-create",
    ),
    path(
        "propositions/grid/",
        proposition_views.PropositionGridView.as_view(),
        name="proposition-grid",
    ),
    path(
        "propositions/<slug:slug>/",
        proposition_views.PropositionDetailView.as_view(),
        name="proposition-detail",
    ),
    path(
        "propositions/<slug:slug>/edit/",
        proposition_views.PropositionUpdateView.as_view(),
        name="proposition-update",
    ),
    path(
        "propositions/<slug:slug>/delete/",
        proposition_views.PropositionDeleteView.as_view(),
        name="proposition-delete",
    ),
    path(
        "propositions/<slug:slug>/status/",
        proposition_views.proposition_status,
        name="proposition-status",
    ),
    path(
        "propositions/<slug:slug>/apply/",
        proposition_views.proposition_apply,
        name="proposition-apply",
    ),
    path(
        "claims/<int:pk>/stances/",
        proposition_views.claim_stance_add,
        name="claim-stance-add",
    ),
    path(
        "claims/<int:pk>/stances/<int:stance_pk>/remove/",
        proposition_views.claim_stance_remove,
        name="claim-stance-remove",
    ),
    path("sources/<int:pk>/delete/", views.SourceDeleteView.as_view(), name="source-delete"),
    path("sources/<int:pk>/capture/", views.source_capture, name="source-capture"),
    path(
        "sources/<int:pk>/captures/<int:capture_pk>.warc.gz",
        views.capture_download,
        name="capture-download",
    ),
]
