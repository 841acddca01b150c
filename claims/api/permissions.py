"""The API's roles are the UI's: migration 0003's groups and their model permissions, and
reading decided by the pages' read rule (claims.permissions.can_read)."""

from rest_framework.permissions import SAFE_METHODS, BasePermission, DjangoModelPermissions

from claims.permissions import can_read


class RolePermissions(DjangoModelPermissions):
    """Readers read, analysts create and change (add_*, change_*), admins delete.

    Unlike DRF's default, reading needs the view permission too (can_read, which also
    honours CLAIMTRACKER_PUBLIC_READ), exactly as for the HTML pages."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return can_read(request.user, self._queryset(view).model)
        return super().has_permission(request, view)


class CanChangeStatus(DjangoModelPermissions):
    """A verdict is an edit of the claim: POST .../status/ needs change_claim."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "POST": ["%(app_label)s.change_%(model_name)s"],
    }


class ReadAccess(BasePermission):
    """The pages' read rule, for the schema and the docs (SPECTACULAR_SETTINGS
    SERVE_PERMISSIONS)."""

    def has_permission(self, request, view):
        return can_read(request.user)
