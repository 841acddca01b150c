from functools import cached_property

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Permission, User
from django.core.exceptions import BadRequest, EmptyResultSet, ValidationError
from django.core.paginator import Paginator
from django.db import DataError
from django.db.models import Q
from django.forms.models import BaseInlineFormSet
from django.http import Http404
from django.shortcuts import render
from django.utils.html import format_html
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin

from . import search, services
from .db import approximate_count, clean_query, estimated_row_count
from .filters import MAX_QUERY_LENGTH
from .forms import (
    CONFIDENCE_CHOICES,
    ActorForm,
    PropositionForm,
    SourceForm,
    TextareaNewlinesMixin,
)
from .models import (
    NOTE_MAX_LENGTH,
    Actor,
    Citation,
    Claim,
    Proposition,
    PropositionStatusChange,
    Source,
    Stance,
    StatusChange,
)
from .permissions import can_read
from .versioning import VERSION_FIELD, StaleEditMixin, version_form_field


class TolerantAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget looks the submitted value up as a key when a refused form
    is shown again, and a value that isn't one (only a crafted POST sends it) raised a
    ValueError: a 500. Such a value is shown as nothing selected; the form error stays."""

    def optgroups(self, name, value, attr=None):
        target = self.field.remote_field.target_field
        keys = []
        for item in value:
            try:
                target.run_validators(target.to_python(item))  # a key, and in range
            except ValidationError:
                continue
            keys.append(item)
        return super().optgroups(name, keys, attr)


class TolerantAutocompleteMixin:
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = TolerantAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadRuleMixin:
    """Viewing a claims model in the admin follows the site's read rule (can_read); the
    admin itself is for staff only, as Django decides."""

    def has_view_permission(self, request, obj=None):
        return can_read(request.user, self.model) or super().has_view_permission(request, obj)


class ListQueryGuardMixin:
    """A list filter may take any lookup on a filtered field from the URL, and some values
    only fail when the query is built: ?stated_on__year=-1 raised ValueError ("year is out
    of range"), a 500. Such a list answers 400 instead. (NUL characters and overlong query
    strings are refused earlier, by claims.middleware.)"""

    def changelist_view(self, request, extra_context=None):
        try:  # the count runs in the view, the page's query while rendering
            response = super().changelist_view(request, extra_context)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
        except (ValueError, OverflowError, DataError) as error:
            raise BadRequest(f"These list filters can't be applied: {error}") from error
        return response

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # The URL takes any text as ids and the history lookup raised ValueError on one that
        # isn't a number (/history/abc/): a 500. No such version: a 404.
        if not all(_is_database_id(value) for value in (object_id, version_id)):
            raise Http404("No such version.")
        return super().history_form_view(request, object_id, version_id, extra_context)


class CheapCheckboxMixin:
    """The changelist's "select for an action" checkbox, written as the markup Django's
    CheckboxInput renders, without rendering a widget template for each of 100 rows: a third
    of the changelist's rendering at 100 rows (bench/RESULTS.md)."""

    def action_checkbox(self, obj):
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(_("Select this object for an action - {}"), str(obj)),
        )


def _is_database_id(value):
    return str(value).isascii() and str(value).isdigit() and int(value) < 2**63


class VersionCheckedForm(StaleEditMixin, TextareaNewlinesMixin, forms.ModelForm):
    """The admin's form for versioned rows: a stale save is refused in clean() with the same
    handling as the site's forms (versioning.StaleEditMixin)."""

    version = version_form_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # The stored version, not the instance's: a history "revert" form is built
            # from an old copy, and reverting is an edit of what is stored now.
            current = type(self.instance).objects.filter(pk=self.instance.pk)
            self.fields[VERSION_FIELD].initial = current.values_list("version", flat=True).first()

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            expected = cleaned.get(VERSION_FIELD)
            current = type(self.instance).objects.filter(pk=self.instance.pk).first()
            if current is not None and current.version != expected:
                self.refuse_stale_save(current)
        return cleaned


class ServiceWritesMixin:
    """Admin saves and deletes go through claims.services, like every other write: the
    history records who did it, and a claim's timeline is deleted only by delete_claim."""

    def delete_model(self, request, obj):
        services.delete_record(obj, by=request.user, reason="deleted in the admin")

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class VersionedAdmin(
    ReadRuleMixin,
    ServiceWritesMixin,
    ListQueryGuardMixin,
    CheapCheckboxMixin,
    TolerantAutocompleteMixin,
    SimpleHistoryAdmin,
):
    """Edits of versioned rows go through services.save_versioned: a stale save is refused.
    A history "revert" is such an edit too (simple-history calls save_model)."""

    form = VersionCheckedForm
    show_facets = admin.ShowFacets.NEVER
    show_full_result_count = False

    def get_form(self, request, obj=None, **kwargs):
        # `version` is the form's own field: the model's is not editable, and naming it
        # among a ModelForm's model fields is an error.
        fields = kwargs.get("fields") or flatten_fieldsets(self.get_fieldsets(request, obj))
        kwargs["fields"] = [name for name in fields if name != VERSION_FIELD]
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            services.save_versioned(obj, by=request.user, version=form.cleaned_data[VERSION_FIELD])
        else:
            services.create_record(obj, by=request.user)


@admin.register(Actor)
class ActorAdmin(VersionedAdmin):
    list_display = ["name", "short_name", "kind", "country", "parent", "wikidata_id"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "short_name", "aliases", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]
    list_select_related = ["parent"]
    fields = [*ActorForm.Meta.fields, VERSION_FIELD]  # the site form's fields


@admin.register(Source)
class SourceAdmin(VersionedAdmin):
    list_display = ["title", "publisher", "kind", "reliability", "published_on", "url"]
    list_filter = ["kind", "reliability"]
    search_fields = ["title", "publisher", "url"]
    date_hierarchy = "published_on"
    fields = [*SourceForm.Meta.fields, VERSION_FIELD]


class CitationAdminForm(TextareaNewlinesMixin, forms.ModelForm):
    pass


class LabelledInlineFormSet(BaseInlineFormSet):
    """A tabular inline shows each field's name once, as a column heading, so its inputs
    have no <label>; screen readers would announce "edit text" for a quote or a note. Each
    input gets its name and row as an accessible name instead ("Quote, row 2")."""

    def add_fields(self, form, index):
        super().add_fields(form, index)  # adds the DELETE box, which needs a name too
        row = "new row" if index is None else f"row {index + 1}"
        for field in form.fields.values():
            label = "Delete" if field.label is None else field.label
            field.widget.attrs.setdefault("aria-label", f"{label}, {row}")


class CitationInline(TolerantAutocompleteMixin, admin.TabularInline):
    model = Citation
    form = CitationAdminForm
    formset = LabelledInlineFormSet
    extra = 1
    autocomplete_fields = ["source"]
    fields = ["source", "role", "direction", "credibility", "reliability_override", "quote", "note"]


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    extra = 0
    can_delete = False
    fields = ["changed_at", "old_status", "new_status", "confidence", "rationale", "changed_by"]
    readonly_fields = fields
    ordering = ["changed_at", "pk"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StatusActionForm(TextareaNewlinesMixin, forms.Form):
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=NOTE_MAX_LENGTH
    )
    confidence = forms.ChoiceField(
        choices=CONFIDENCE_CHOICES,
        widget=forms.RadioSelect,
        required=False,
        help_text="Required for confirmed and denied.",
    )


def _status_action(status, plural):
    def action(modeladmin, request, queryset):
        return modeladmin.set_status(request, queryset, status)

    action.__name__ = f"mark_{status}"
    action.short_description = f"Mark selected {plural} {status}"
    action.allowed_permissions = ("change",)
    return action


class BulkVerdictMixin:
    """The bulk "Mark selected … confirmed / denied / unverified" actions: one rationale for
    all (and one confidence), then the model's own status service for each row. Set
    `verdict_service` (it takes the record under the model's name) and override
    `verdict_rows` to prefetch."""

    verdict_service = None

    def verdict_rows(self, queryset):
        return queryset

    def set_status(self, request, queryset, status):
        meta = self.model._meta
        form = StatusActionForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            rationale = form.cleaned_data["rationale"]
            confidence = form.cleaned_data["confidence"]
            try:
                services.validate_status_change(
                    status=status, rationale=rationale, confidence=confidence
                )
            except ValidationError as error:
                for name, errors in error.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                rows = list(queryset)
                for row in rows:
                    self.verdict_service(
                        **{meta.model_name: row},
                        status=status,
                        rationale=rationale,
                        confidence=confidence,
                        by=request.user,
                    )
                self.message_user(
                    request,
                    f"Marked {len(rows)} {meta.verbose_name}(s) {status}.",
                    messages.SUCCESS,
                )
                return None
        return render(
            request,
            f"admin/claims/{meta.model_name}/set_status.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Mark {meta.verbose_name_plural} {status}",
                "opts": meta,
                str(meta.verbose_name_plural): self.verdict_rows(queryset),
                "status": status,
                "action": f"mark_{status}",
                "form": form,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )


class LargeTablePaginator(Paginator):
    """No COUNT(*) over a million rows on every changelist view: the table's estimated size
    when nothing filters the list; filtered, an exact count up to COUNT_CAP rows and the
    planner's estimate beyond (db.approximate_count)."""

    @cached_property
    def count(self):
        queryset = self.object_list
        if not queryset.query.where:
            return estimated_row_count(queryset.model, queryset.db)
        try:
            return approximate_count(queryset)
        except EmptyResultSet:
            # A filter no row can match (an id beyond the column's range): no SQL to
            # explain, and the list is empty, as the page's own query finds.
            return 0


class CountryListFilter(admin.SimpleListFilter):
    """The actors' countries, read from the actor table: the stock filter on actor__country
    asks for DISTINCT over every claim joined to its actor."""

    title = "actor country"
    parameter_name = "actor__country"

    def lookups(self, request, model_admin):
        countries = (
            Actor.objects.exclude(country="").order_by("country").values_list("country", flat=True)
        )
        return [(code, code) for code in countries.distinct()]

    def queryset(self, request, queryset):
        return queryset.filter(actor__country=self.value()) if self.value() else queryset


@admin.register(Claim)
class ClaimAdmin(BulkVerdictMixin, VersionedAdmin):
    list_display = ["headline", "actor", "stated_on", "status", "updated_at"]
    # A date filter, not date_hierarchy: the hierarchy asks for DISTINCT years over every
    # claim on each view (0.2 s at 1M claims).
    list_filter = ["status", "stated_on", "actor__kind", CountryListFilter]
    search_fields = ["headline", "text", "actor__name", "actor__slug"]
    autocomplete_fields = ["actor"]
    list_select_related = ["actor"]
    paginator = LargeTablePaginator
    readonly_fields = [
        "status",
        "status_confidence",
        "status_rationale",
        "created_at",
        "created_by",
        "updated_at",
    ]
    fields = [
        "actor",
        "headline",
        "text",
        "stated_on",
        "status",
        "status_confidence",
        "status_rationale",
        "created_at",
        "created_by",
        "updated_at",
        VERSION_FIELD,
    ]
    inlines = [CitationInline, StatusChangeInline]
    actions = [_status_action(s, "claims") for s in Claim.Status.values]
    verdict_service = staticmethod(services.claim_set_status)

    def verdict_rows(self, queryset):
        return queryset.select_related("actor")

    def get_deleted_objects(self, objs, request):
        # A claim's verdict timeline goes with it; nobody may delete timeline entries on
        # their own, so that (missing) permission must not block deleting the claim.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed.discard(StatusChange._meta.verbose_name)
        return deleted, counts, perms_needed, protected

    def get_search_results(self, request, queryset, search_term):
        """The claim list's own full-text search (claims/search.py: headline, text and the
        actor's names, indexed on both databases). The stock search, icontains over headline
        and text, reads every claim: 3.6 s at 1M claims, against 65 ms. A search the engine
        can't run is a 400 naming the q field, as on the claim list."""
        term = clean_query(search_term, MAX_QUERY_LENGTH)
        if not term:
            return super().get_search_results(request, queryset, search_term)
        try:
            query = search.parse(term)
            query = search.check_with_database(query, queryset.db)
        except ValidationError as error:
            raise search.SearchRefused(f"Search (q): {' '.join(error.messages)}") from error
        return queryset.filter(search.matches(query, queryset.db)), False

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        # A new claim is created in save_related, with the inline's citations: one
        # create_claim call, which also writes the first entry of its timeline.

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)
            return
        citations = []
        for formset in formsets:
            rows = formset.save(commit=False)  # writes nothing; the change message reads it
            if formset.model is Citation:
                citations.extend(rows)
        obj = form.instance
        created = services.create_claim(
            by=request.user,
            actor=obj.actor,
            headline=obj.headline,
            text=obj.text,
            stated_on=obj.stated_on,
            citations=citations,
        )
        obj.pk = created.pk
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        """The citation inline of an existing claim: each removed, added or edited row
        through its service (the timeline inline is read-only and saves nothing)."""
        rows = formset.save(commit=False)  # writes nothing; the change message reads it
        if formset.model is not Citation:
            return
        for citation in formset.deleted_objects:
            services.delete_record(citation, by=request.user, reason="removed in the admin")
        changed = {citation.pk for citation, _ in formset.changed_objects}
        for citation in rows:
            if citation.pk in changed:
                services.update_citation(citation, by=request.user)
            else:
                services.create_record(citation, by=request.user)


@admin.register(Citation)
class CitationAdmin(
    ReadRuleMixin,
    ServiceWritesMixin,
    ListQueryGuardMixin,
    CheapCheckboxMixin,
    TolerantAutocompleteMixin,
    SimpleHistoryAdmin,
):
    form = CitationAdminForm
    list_display = ["claim", "source", "role", "direction", "credibility"]
    list_filter = ["role", "direction", "credibility"]
    search_fields = ["claim__headline", "source__title", "quote"]
    autocomplete_fields = ["claim", "source"]
    list_select_related = ["claim", "source"]
    paginator = LargeTablePaginator
    show_facets = admin.ShowFacets.NEVER
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        if change:
            services.update_citation(obj, by=request.user)
        else:
            services.create_record(obj, by=request.user)


@admin.register(StatusChange)
class StatusChangeAdmin(ReadRuleMixin, ListQueryGuardMixin, CheapCheckboxMixin, admin.ModelAdmin):
    """The verdict timeline is append-only: viewable here, written only by the service."""

    list_display = ["claim", "old_status", "new_status", "confidence", "changed_by", "changed_at"]
    list_filter = ["new_status", "confidence", "changed_at"]  # no date_hierarchy: see ClaimAdmin
    search_fields = ["claim__headline", "rationale"]
    list_select_related = ["claim", "changed_by"]
    paginator = LargeTablePaginator
    show_facets = admin.ShowFacets.NEVER
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class UserAdmin(DjangoUserAdmin):
    """Django's user admin, without a way up: only a superuser may make (or edit) a
    superuser, and others may grant only the groups and permissions they hold themselves,
    to others or to their own account."""

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly.append("is_superuser")
        return readonly

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        editor = request.user
        if not editor.is_superuser:
            if db_field.name == "groups":
                kwargs["queryset"] = editor.groups.all()
            elif db_field.name == "user_permissions":
                held = Permission.objects.filter(Q(user=editor) | Q(group__user=editor)).distinct()
                kwargs["queryset"] = held.select_related("content_type")
        return super().formfield_for_manytomany(db_field, request, **kwargs)


admin.site.unregister(User)
admin.site.register(User, UserAdmin)


# Propositions and stances -----------------------------------------------------------------------


class StanceInline(TolerantAutocompleteMixin, admin.TabularInline):
    model = Stance
    form = CitationAdminForm
    formset = LabelledInlineFormSet
    extra = 1
    autocomplete_fields = ["claim"]  # never a dropdown of every claim
    fields = ["claim", "stance", "note"]


class PropositionStatusChangeInline(StatusChangeInline):
    model = PropositionStatusChange


@admin.register(Proposition)
class PropositionAdmin(BulkVerdictMixin, VersionedAdmin):
    list_display = ["statement", "slug", "status", "updated_at"]
    list_filter = ["status"]
    search_fields = ["statement", "slug"]
    paginator = LargeTablePaginator
    readonly_fields = [
        "status",
        "status_confidence",
        "status_rationale",
        "created_at",
        "updated_at",
    ]
    fields = [*PropositionForm.Meta.fields, *readonly_fields, VERSION_FIELD]
    inlines = [StanceInline, PropositionStatusChangeInline]
    actions = [_status_action(s, "propositions") for s in Proposition.Status.values]
    verdict_service = staticmethod(services.proposition_set_status)

    def get_deleted_objects(self, objs, request):
        # Its stances and timeline go with it (the confirmation page lists them); the
        # timeline's missing delete permission must not block an admin.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed.discard(PropositionStatusChange._meta.verbose_name)
        return deleted, counts, perms_needed, protected

    def save_model(self, request, obj, form, change):
        if change:
            services.update_proposition(
                obj, by=request.user, version=form.cleaned_data[VERSION_FIELD]
            )
            return
        created = services.create_proposition(
            by=request.user, statement=obj.statement, slug=obj.slug, description=obj.description
        )
        obj.pk = created.pk
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        """The stance inline row by row through set_stance / remove_stance (the timeline
        inline is read-only and saves nothing)."""
        if formset.model is not Stance:
            formset.save(commit=False)  # writes nothing; the change message reads it
            return None
        # The admin's change message reads these three lists.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for stance_form in formset.deleted_forms:
            if stance_form.instance.pk:
                services.remove_stance(stance=stance_form.instance, by=request.user)
                formset.deleted_objects.append(stance_form.instance)
        for stance_form in formset.forms:
            if stance_form in formset.deleted_forms or not stance_form.has_changed():
                continue
            data = stance_form.cleaned_data
            if not data.get("claim"):
                continue
            existed = stance_form.instance.pk is not None
            if existed and stance_form.initial.get("claim") != data["claim"].pk:
                # The row now names another claim: detach the one it named.
                old = Stance.objects.get(pk=stance_form.instance.pk)
                services.remove_stance(stance=old, by=request.user)
                existed = False
            stance = services.set_stance(
                claim=data["claim"],
                proposition=form.instance,
                stance=data["stance"],
                note=data.get("note", ""),
                by=request.user,
            )
            if existed:
                formset.changed_objects.append((stance, stance_form.changed_data))
            else:
                formset.new_objects.append(stance)
        return None
