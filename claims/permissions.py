"""Who may do what: the one place access is decided, for the pages, exports, feed, admin
and API alike.

Reading needs the view permission every role grants (the reader role is the least), or
CLAIMTRACKER_PUBLIC_READ; a signed-in user with no role reads nothing. Writing needs the
model permission the role grants (analyst: add/change, delete only citations; admin:
everything). Templates hide buttons with `perms`, but these checks are what counts."""

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from .models import Claim


def permission_name(action, model):
    """`claims.change_claim` for ("change", Claim)."""
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


def can_read(user, model=None):
    """The read rule: may `user` see `model`'s rows (claims when None)?"""
    if settings.CLAIMTRACKER_PUBLIC_READ:
        return True
    return user.is_authenticated and user.has_perm(permission_name("view", model or Claim))


def denied_response(request, *perms, model=None):
    """None when the user may go on; else the login redirect (anonymous) or raises 403.

    No `perms` (or None) means reading `model` (can_read); several must all be held."""
    user = request.user
    perms = [p for p in perms if p is not None]
    if not perms:
        if can_read(user, model):
            return None
        if user.is_authenticated:
            raise PermissionDenied("Your account has no role that may read this.")
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
        response = denied_response(
            request, self.required_permission(), model=getattr(self, "model", None)
        )
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
