"""The API's roles are the UI's: migration 0003's groups and their model permissions."""

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS, BasePermission, DjangoModelPermissions

VIEW = "%(app_label)s.view_%(model_name)s"


class RolePermissions(DjangoModelPermissions):
    """Readers read (view_*), analysts create and change (add_*, change_*), admins delete.

    Unlike DRF's default, reading needs the view permission too, and CLAIMTRACKER_PUBLIC_READ
    opens reads to everyone, as it does for the HTML pages."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": [VIEW],
        "HEAD": [VIEW],
        "OPTIONS": [VIEW],
    }

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS and settings.CLAIMTRACKER_PUBLIC_READ:
            return True
        return super().has_permission(request, view)


class CanChangeStatus(DjangoModelPermissions):
    """A verdict is an edit of the claim: POST .../status/ needs change_claim."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "POST": ["%(app_label)s.change_%(model_name)s"],
    }


class ReadAccess(BasePermission):
    """The pages' read rule, for the schema and the docs (SPECTACULAR_SETTINGS
    SERVE_PERMISSIONS): signed in, or anyone when CLAIMTRACKER_PUBLIC_READ is on."""

    def has_permission(self, request, view):
        return request.user.is_authenticated or settings.CLAIMTRACKER_PUBLIC_READ
