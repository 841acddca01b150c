from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

from claims.health import healthz


def favicon(request):
    # Browsers and tools that ask for /favicon.ico without reading the page's <link>.
    return redirect(static("img/favicon.svg"), permanent=True)


urlpatterns = [
    path("favicon.ico", favicon),
    path("healthz", healthz, name="healthz"),
    path("", include("claims.urls")),
    path("api/", include("claims.api.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]

# Database outages answer 503, not 500 or 400, even when they happen outside a view.
handler400 = "claims.middleware.bad_request"
handler404 = "claims.middleware.not_found"
handler500 = "claims.middleware.server_error"
