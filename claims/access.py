"""Who may read the exports and the feed: the HTML pages' rule (see the UI's access check).

Anonymous visitors are sent to the login page unless CLAIMTRACKER_PUBLIC_READ is on; any
signed-in user may read."""

from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login


def read_access_required(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not (settings.CLAIMTRACKER_PUBLIC_READ or request.user.is_authenticated):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped
