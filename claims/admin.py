from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import render
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .models import Actor, Citation, Claim, Source, StatusChange


class VersionedAdmin(SimpleHistoryAdmin):
    """Edits of versioned rows go through services.save_versioned: a stale save is refused."""

    show_facets = admin.ShowFacets.NEVER
    show_full_result_count = False

    def get_form(self, request, obj=None, **kwargs):
        # The base form must declare expected_version, since `fields` names it: mixing it in
        # after modelform_factory is too late ("Unknown field(s) (expected_version)").
        kwargs.setdefault("form", VersionCheckedForm)
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            services.save_versioned(
                obj, by=request.user, expected_version=form.cleaned_data["expected_version"]
            )
        else:
            services.create_record(obj, by=request.user)


class VersionCheckedForm(forms.ModelForm):
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            expected = cleaned.get("expected_version")
            current = type(self.instance).objects.filter(pk=self.instance.pk).first()
            if current is not None and current.version != expected:
                # Keep what the user typed; the next save (with the new version) overwrites.
                self.data = self.data.copy()
                self.data["expected_version"] = current.version
                raise ValidationError(conflict_message(self, current))
        return cleaned


def conflict_message(form, current):
    """Name what the other person changed, so the user can compare before saving again."""
    changed = []
    for name, field in form.fields.items():
        if name == "expected_version" or not hasattr(current, name):
            continue
        now = field.prepare_value(getattr(current, f"{name}_id", getattr(current, name)))
        if str(form.initial.get(name, "")) != str(now if now is not None else ""):
            changed.append(f"{field.label or name}: now “{getattr(current, name)}”")
    what = "; ".join(changed) or "no field shown here"
    return (
        f"Someone else saved this record while you were editing it ({what}). Your input is "
        "still in the form below; check it against theirs and save again to overwrite."
    )


@admin.register(Actor)
class ActorAdmin(VersionedAdmin):
    list_display = ["name", "short_name", "kind", "country", "parent", "wikidata_id"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "short_name", "aliases", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]
    fields = [
        "name",
        "slug",
        "short_name",
        "aliases",
        "kind",
        "country",
        "parent",
        "wikidata_id",
        "description",
        "expected_version",
    ]


@admin.register(Source)
class SourceAdmin(VersionedAdmin):
    list_display = ["title", "publisher", "kind", "published_on", "url"]
    list_filter = ["kind"]
    search_fields = ["title", "publisher", "url"]
    date_hierarchy = "published_on"
    fields = [
        "title",
        "url",
        "publisher",
        "kind",
        "published_on",
        "archive_url",
        "notes",
        "expected_version",
    ]


class CitationInline(admin.TabularInline):
    model = Citation
    extra = 1
    autocomplete_fields = ["source"]
    fields = ["source", "role", "quote", "note"]


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    extra = 0
    can_delete = False
    fields = ["changed_at", "old_status", "new_status", "rationale", "changed_by"]
    readonly_fields = fields
    ordering = ["changed_at", "pk"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StatusActionForm(forms.Form):
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)


def _status_action(status):
    def action(modeladmin, request, queryset):
        return modeladmin.set_status(request, queryset, status)

    action.__name__ = f"mark_{status}"
    action.short_description = f"Mark selected claims {status}"
    action.allowed_permissions = ("change",)
    return action


@admin.register(Claim)
class ClaimAdmin(VersionedAdmin):
    list_display = ["headline", "actor", "stated_on", "status", "updated_at"]
    list_filter = ["status", "actor__kind", "actor__country"]
    search_fields = ["headline", "text", "actor__name", "actor__slug"]
    autocomplete_fields = ["actor"]
    list_select_related = ["actor"]
    date_hierarchy = "stated_on"
    readonly_fields = ["status", "status_rationale", "created_at", "created_by", "updated_at"]
    fields = [
        "actor",
        "headline",
        "text",
        "stated_on",
        "status",
        "status_rationale",
        "created_at",
        "created_by",
        "updated_at",
        "expected_version",
    ]
    inlines = [CitationInline, StatusChangeInline]
    actions = [_status_action(s) for s in Claim.Status.values]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new claim gets its first timeline entry through the same service as any other.
        created = services.create_claim(
            by=request.user,
            actor=obj.actor,
            headline=obj.headline,
            text=obj.text,
            stated_on=obj.stated_on,
        )
        obj.pk = created.pk
        obj.refresh_from_db()

    def set_status(self, request, queryset, status):
        """Bulk verdict: asks for a rationale, then calls the one status service per claim."""
        form = StatusActionForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            rationale = form.cleaned_data["rationale"]
            try:
                services.validate_status_change(status=status, rationale=rationale)
            except ValidationError as error:
                form.add_error("rationale", error.message_dict.get("rationale"))
            else:
                claims = list(queryset)
                for claim in claims:
                    services.claim_set_status(
                        claim=claim, status=status, rationale=rationale, by=request.user
                    )
                self.message_user(
                    request, f"Marked {len(claims)} claim(s) {status}.", messages.SUCCESS
                )
                return None
        return render(
            request,
            "admin/claims/claim/set_status.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Mark claims {status}",
                "opts": self.model._meta,
                "claims": queryset.select_related("actor"),
                "status": status,
                "action": f"mark_{status}",
                "form": form,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )


@admin.register(Citation)
class CitationAdmin(SimpleHistoryAdmin):
    list_display = ["claim", "source", "role"]
    list_filter = ["role"]
    search_fields = ["claim__headline", "source__title", "quote"]
    autocomplete_fields = ["claim", "source"]
    list_select_related = ["claim", "source"]
    show_facets = admin.ShowFacets.NEVER
    show_full_result_count = False


@admin.register(StatusChange)
class StatusChangeAdmin(admin.ModelAdmin):
    """The verdict timeline is append-only: viewable here, written only by the service."""

    list_display = ["claim", "old_status", "new_status", "changed_by", "changed_at"]
    list_filter = ["new_status"]
    search_fields = ["claim__headline", "rationale"]
    list_select_related = ["claim", "changed_by"]
    date_hierarchy = "changed_at"
    show_facets = admin.ShowFacets.NEVER
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
