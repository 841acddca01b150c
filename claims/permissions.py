"""Who may do what on the analyst pages: the one place the web UI checks access.

Reading needs a login (or CLAIMTRACKER_PUBLIC_READ); writing needs the model permission the
role grants (reader: view; analyst: add/change, delete only citations; admin: everything).
Templates hide buttons with `perms`, but this check is what counts."""

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def permission_name(action, model):
    """`claims.change_claim` for ("change", Claim)."""
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


def denied_response(request, *perms):
    """None when the user may go on; else the login redirect (anonymous) or raises 403.

    No `perms` (or None) means read access; several must all be held."""
    user = request.user
    perms = [p for p in perms if p is not None]
    if not perms:
        if user.is_authenticated or settings.CLAIMTRACKER_PUBLIC_READ:
            return None
        return redirect_to_login(request.get_full_path())
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    missing = [p for p in perms if not user.has_perm(p)]
    if missing:
        raise PermissionDenied(f"You need the {', '.join(missing)} permission to do this.")
    return None


class AccessMixin:
    """For class-based views: set `permission_action` ("add", "change", "delete") to require
    that permission on the view's model; leave it None for read-only pages."""

    permission_action = None

    def required_permission(self):
        if self.permission_action is None:
            return None
        return permission_name(self.permission_action, self.model)

    def dispatch(self, request, *args, **kwargs):
        response = denied_response(request, self.required_permission())
        if response is not None:
            return response
        return super().dispatch(request, *args, **kwargs)


def permission_required(*perms):
    """For function views: the same check as AccessMixin; the user needs every one of `perms`."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            response = denied_response(request, *perms)
            if response is not None:
                return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# Exports and the feed: the pages' read rule.
read_access_required = permission_required()
