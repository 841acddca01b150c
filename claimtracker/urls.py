from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from claims import interop_urls
from claims import urls as claims_urls
from claims.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # One `claims` namespace from two modules, so the exports don't edit the pages' urls.py.
    path("", include((interop_urls.urlpatterns + claims_urls.urlpatterns, "claims"))),
    path("api/", include("claims.api.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]
