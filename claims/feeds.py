"""Atom feed of verdicts: every status change, newest first, filtered like the claim list."""

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.views.decorators.http import require_safe

from .filters import ClaimFilter
from .models import Claim, StatusChange
from .permissions import read_access_required
from .search import SearchRefused

FEED_LENGTH = 50


class StatusChangeFeed(Feed):
    feed_type = Atom1Feed
    title = "ClaimTracker: status changes"
    subtitle = "New verdicts on tracked claims: confirmed, denied or unverified, and why."
    author_name = "ClaimTracker"
    item_guid_is_permalink = False

    def get_object(self, request, *args, **kwargs):
        self.request = request  # one instance per request: see status_feed()
        # The same parameters as the claim list (?actor=kremlin&status=denied ...); a bad or
        # unknown value is a 404, as for a page that doesn't exist.
        filterset = ClaimFilter(request.GET, queryset=Claim.objects.all())
        if not filterset.is_valid():
            if "q" in filterset.errors:
                # A search the engine can't run is the request's fault, as on the list.
                raise SearchRefused("Text (q): " + " ".join(filterset.errors["q"]))
            raise Http404("; ".join(e for errors in filterset.errors.values() for e in errors))
        return filterset

    def link(self, filterset):
        # The feed's page: the same verdicts on /changes/, filtered the same way.
        query = self.request.GET.urlencode()
        return reverse("claims:changes") + (f"?{query}" if query else "")

    def items(self, filterset):
        changes = StatusChange.objects.select_related("claim__actor").latest_first()
        if filterset.data:
            claims = filterset.qs.order_by().values("pk")
            changes = changes.filter(claim__in=claims)
        return changes[:FEED_LENGTH]

    def item_title(self, change):
        new = StatusChange._meta.get_field("new_status")
        label = dict(new.choices)[change.new_status]
        return f"{label}: {change.claim.headline} ({change.claim.actor.name})"

    def item_description(self, change):
        # Atom writes it as <summary type="html">: a reader renders it as markup, so the
        # plain-text rationale goes in as escaped HTML and is shown literally.
        text = change.rationale or f"Marked {change.new_status}."
        confidence = change.confidence_label
        if confidence and change.confidence is None:
            confidence = f"Confidence {confidence}"
        return escape(f"{confidence}. {text}" if confidence else text)

    def item_link(self, change):
        return change.claim.get_absolute_url()

    def item_guid(self, change):
        # Atom ids are absolute and unique per entry; one claim has many changes.
        url = self.request.build_absolute_uri(change.claim.get_absolute_url())
        return f"{url}#status-{change.pk}"

    def item_pubdate(self, change):
        return change.changed_at

    def item_updateddate(self, change):
        return change.changed_at

    def item_categories(self, change):
        return [change.new_status, change.claim.actor.slug]


@read_access_required
@require_safe
def status_feed(request):
    return StatusChangeFeed()(request)
