from django import forms
from django.db.models import Q
from django.utils.text import normalize_newlines

from . import services
from .models import NOTE_MAX_LENGTH, Actor, Citation, Claim, Source
from .versioning import StaleEditMixin, version_form_field


def parse_id(text):
    """The row id `text` names, or None: only ASCII digits that fit a bigint ("²" is a digit
    to str.isdigit() but not to int())."""
    if text.isascii() and text.isdecimal() and int(text) < 2**63:
        return int(text)
    return None


class ActorSlugField(forms.ModelChoiceField):
    """An actor typed as its slug: a text box, never a <select> of every actor."""

    widget = forms.TextInput

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "The actor's slug, as in its page address, e.g. kremlin.")
        super().__init__(queryset=Actor.objects.all(), to_field_name="slug", **kwargs)
        self.error_messages["invalid_choice"] = "No actor has this slug. Check the actors list."

    def prepare_value(self, value):
        if isinstance(value, Actor):
            return value.slug
        if isinstance(value, int):
            # A model instance's initial is its primary key; show the slug instead.
            return Actor.objects.filter(pk=value).values_list("slug", flat=True).first()
        return super().prepare_value(value)


class TextareaNewlinesMixin:
    """Browsers post a textarea's line breaks as \\r\\n; store \\n, so an unchanged text
    saves unchanged (no spurious history row, no bogus conflict diff)."""

    def clean(self):
        cleaned = super().clean()
        for name, field in self.fields.items():
            value = cleaned.get(name)
            if isinstance(field.widget, forms.Textarea) and isinstance(value, str):
                cleaned[name] = normalize_newlines(value)
        return cleaned


class VersionedForm(StaleEditMixin, TextareaNewlinesMixin, forms.ModelForm):
    """Carries the row's version, so a save over someone else's newer edit is refused."""

    version = version_form_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version

    def clean_version(self):
        version = self.cleaned_data.get("version")
        if self.instance.pk and version is None:
            raise forms.ValidationError("This form is missing its version; reload the page.")
        return version


class ActorForm(VersionedForm):
    parent = ActorSlugField(required=False, label="Parent actor")

    class Meta:
        model = Actor
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
        ]
        widgets = {
            "aliases": forms.Textarea(attrs={"rows": 3}),
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def clean_country(self):
        return self.cleaned_data["country"].upper()


class SourceForm(VersionedForm):
    url = forms.URLField(label="URL", required=False, max_length=2000, assume_scheme="https")
    archive_url = forms.URLField(
        label="Archive URL", required=False, max_length=2000, assume_scheme="https"
    )

    class Meta:
        model = Source
        fields = ["title", "url", "publisher", "kind", "published_on", "archive_url", "notes"]
        widgets = {
            "published_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }


class CitationChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, citation):
        return f"{citation.source.title} ({citation.get_role_display().split(' (')[0]})"


class ClaimForm(VersionedForm):
    actor = ActorSlugField()

    class Meta:
        model = Claim
        fields = ["actor", "headline", "text", "stated_on"]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 5}),
            "stated_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, can_remove_citations=False, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and can_remove_citations:
            self.fields["remove_citations"] = CitationChoiceField(
                queryset=self.instance.citations.select_related("source"),
                widget=forms.CheckboxSelectMultiple,
                required=False,
                label="Remove these citations",
                help_text="The sources themselves stay.",
            )


class CitationForm(TextareaNewlinesMixin, forms.Form):
    """One citation row of the claim form: an existing source (id or exact title) or a new
    source typed inline, its role and the quote."""

    source = forms.CharField(
        required=False,
        max_length=300,
        label="Existing source",
        help_text="Its number (see the sources list) or its exact title.",
    )
    new_source_title = forms.CharField(required=False, max_length=300, label="Or a new source")
    new_source_url = forms.URLField(
        required=False, max_length=2000, label="New source URL", assume_scheme="https"
    )
    role = forms.ChoiceField(
        choices=Citation.Role.choices, initial=Citation.Role.APPEARANCE, required=False
    )
    quote = forms.CharField(
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Quote",
    )

    def clean_role(self):
        return self.cleaned_data["role"] or Citation.Role.APPEARANCE

    def clean_source(self):
        value = self.cleaned_data["source"].strip()
        if not value:
            return None
        lookup = Q(title__iexact=value)
        if value.isascii() and value.isdecimal():
            lookup = Q(pk=parse_id(value))
        matches = list(Source.objects.filter(lookup)[:2])
        if not matches:
            raise forms.ValidationError(f"No source numbered or titled “{value}”.")
        if len(matches) > 1:
            raise forms.ValidationError("Several sources have this title; enter its number.")
        return matches[0]

    def clean(self):
        cleaned = super().clean()
        source, title = cleaned.get("source"), cleaned.get("new_source_title", "").strip()
        url = cleaned.get("new_source_url", "")
        if self.errors:
            return cleaned
        if source is not None and (title or url):
            raise forms.ValidationError("Choose an existing source or type a new one, not both.")
        if source is None and url and not title:
            self.add_error("new_source_title", "Give the new source a title.")
        if source is None and not title and cleaned.get("quote"):
            self.add_error("source", "Say which source this quote is from.")
        if url:
            existing = Source.objects.filter(url=url).first()
            if existing is not None:
                self.add_error(
                    "new_source_url",
                    f"Source {existing.pk} (“{existing}”) already has this URL: "
                    f"enter {existing.pk} as the existing source instead.",
                )
        return cleaned

    def is_empty(self):
        data = self.cleaned_data
        return data.get("source") is None and not data.get("new_source_title", "").strip()

    def citation(self):
        """This row as a services.CitationSpec: the service creates the new source, if any."""
        data = self.cleaned_data
        return services.CitationSpec(
            source=data["source"],
            new_source_title=data["new_source_title"].strip(),
            new_source_url=data["new_source_url"],
            role=data["role"],
            quote=data["quote"],
        )


class BaseCitationFormSet(forms.BaseFormSet):
    def __init__(self, *args, claim=None, **kwargs):
        self.claim = claim
        super().__init__(*args, **kwargs)

    def clean(self):
        if any(self.errors):
            return
        seen = set()
        if self.claim is not None:
            seen = set(self.claim.citations.values_list("source_id", "role"))
        new_urls = set()
        for form in self.forms:
            url = form.cleaned_data.get("new_source_url")
            if form.cleaned_data.get("source") is None and url:
                if url in new_urls:
                    form.add_error(
                        "new_source_url", "This URL is typed in another row already: cite it once."
                    )
                    raise forms.ValidationError("The same new source URL is in two rows.")
                new_urls.add(url)
            source = form.cleaned_data.get("source")
            if source is None:
                continue
            key = (source.pk, form.cleaned_data["role"])
            if key in seen:
                raise forms.ValidationError(
                    f"Source {source.pk} is cited twice with the same role."
                )
            seen.add(key)

    def citations(self):
        return [form.citation() for form in self.forms if not form.is_empty()]


CitationFormSet = forms.formset_factory(
    CitationForm,
    formset=BaseCitationFormSet,
    extra=2,
    max_num=20,
    absolute_max=20,  # a forged TOTAL_FORMS can't make the server build thousands of forms
    validate_max=True,
)


class StatusForm(TextareaNewlinesMixin, forms.Form):
    status = forms.ChoiceField(choices=Claim.Status.choices, widget=forms.RadioSelect)
    rationale = forms.CharField(
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required for confirmed and denied: say what settles it.",
    )

    def clean(self):
        cleaned = super().clean()
        if "status" in cleaned:
            try:
                services.validate_status_change(
                    status=cleaned["status"], rationale=cleaned.get("rationale")
                )
            except forms.ValidationError as error:
                self.add_error(None, error)
        return cleaned


MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8, with the columns of the CSV export. Larger files: use "
        "manage.py import_claims.",
    )
    dry_run = forms.BooleanField(
        label="Dry run: show what would change, write nothing", required=False, initial=True
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size // (1024 * 1024)} MB; the page takes up to "
                f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB."
            )
        return upload
