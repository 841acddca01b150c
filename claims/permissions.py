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


def denied_response(request, perm=None):
    """None when the user may go on; else the login redirect (anonymous) or raises 403.

    `perm` None means read access."""
    user = request.user
    if perm is None:
        if user.is_authenticated or settings.CLAIMTRACKER_PUBLIC_READ:
            return None
        return redirect_to_login(request.get_full_path())
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not user.has_perm(perm):
        raise PermissionDenied(f"You need the {perm} permission to do this.")
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


def permission_required(perm):
    """For function views: the same check as AccessMixin."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            response = denied_response(request, perm)
            if response is not None:
                return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# Exports and the feed: the pages' read rule.
read_access_required = permission_required(None)
