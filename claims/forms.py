import re
from functools import cached_property

from django import forms
from django.db.models import Q
from django.utils.text import normalize_newlines

from . import duplicates, services
from .models import (
    CONFIDENCE_DEFINITIONS,
    CREDIBILITY_DEFINITIONS,
    NOTE_MAX_LENGTH,
    RELIABILITY_DEFINITIONS,
    Actor,
    Citation,
    Claim,
    Confidence,
    Credibility,
    Direction,
    Proposition,
    Reliability,
    Source,
    StanceKind,
)
from .versioning import StaleEditMixin, version_form_field


def defined_choices(choices, definitions):
    """Choices whose labels carry their definitions, so each option explains itself."""
    return [(value, f"{label} — {definitions[value]}") for value, label in choices]


RELIABILITY_CHOICES = defined_choices(Reliability.choices, RELIABILITY_DEFINITIONS)
CREDIBILITY_CHOICES = defined_choices(Credibility.choices, CREDIBILITY_DEFINITIONS)
CONFIDENCE_CHOICES = defined_choices(Confidence.choices, CONFIDENCE_DEFINITIONS)


def parse_id(text):
    """The row id `text` names, or None: only ASCII digits that fit a bigint ("²" is a digit
    to str.isdigit() but not to int())."""
    if text.isascii() and text.isdecimal() and int(text) < 2**63:
        return int(text)
    return None


SUGGEST_ATTRS = {"autocomplete": "off"}


def error_summary(*parts):
    """Every error of a page's forms and formsets, in page order, as (field id or "", text)
    pairs for one error summary (claims/_error_summary.html). A formset's rows are named by
    `row_label` ("Citation 2: ...")."""
    errors = []

    def add(form, prefix=""):
        for error in form.non_field_errors():
            errors.append(("", f"{prefix}{error}"))
        for field in form:
            for error in field.errors:
                anchor = field.id_for_label
                if field.is_hidden:
                    # A hidden field's error links to what the page shows for it, if anything.
                    anchor = getattr(field.field, "summary_anchor", "")
                label = "" if field.is_hidden else f"{field.label}: "
                errors.append((anchor, f"{prefix}{label}{error}"))

    for part, row_label in parts:
        if part is None or not part.is_bound:
            continue
        if isinstance(part, forms.BaseFormSet):
            for error in part.non_form_errors():
                errors.append(("", f"{error}"))
            for number, row in enumerate(part.forms, 1):
                add(row, f"{row_label} {number}: " if row_label else "")
        else:
            add(part, row_label)
    return errors


class ActorNameField(forms.ModelChoiceField):
    """An actor typed as people know it: name, short name, alias or slug, any case and
    accents (Actor.objects.resolve). A text box with suggestions, never a <select> of
    every actor; an ambiguous name is an error listing the candidates."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "Its name, short name, an alias or its slug, e.g. Kremlin.")
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"list": "actor-suggestions", **SUGGEST_ATTRS})
        )
        super().__init__(queryset=Actor.objects.all(), to_field_name="slug", **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        return self.queryset.resolve(str(value))

    def prepare_value(self, value):
        if isinstance(value, Actor):
            return value.name
        if isinstance(value, int):
            # A model instance's initial is its primary key; show the name instead.
            return Actor.objects.filter(pk=value).values_list("name", flat=True).first()
        return super().prepare_value(value)


# The name the admin and older code know this field by.
ActorSlugField = ActorNameField


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
    parent = ActorNameField(
        required=False,
        label="Parent actor",
        help_text="Who this actor speaks for (name, alias or slug), e.g. Kremlin for Peskov.",
    )

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
        fields = [
            "title",
            "url",
            "publisher",
            "kind",
            "published_on",
            "archive_url",
            "notes",
            "reliability",
        ]
        widgets = {
            "published_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "reliability": forms.RadioSelect(choices=RELIABILITY_CHOICES),
        }
        help_texts = {"reliability": "The Admiralty grade of the source as a whole."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Not required: a post without it (a script, an older form) keeps the grade it had.
        self.fields["reliability"].required = False
        self.fields["reliability"].choices = RELIABILITY_CHOICES

    def clean_reliability(self):
        return self.cleaned_data.get("reliability") or self.instance.reliability or Reliability.F

    @cached_property
    def same_url_source(self):
        """The existing source with this URL, when the form was refused for it (Source.clean
        refuses it; the page links to it)."""
        if not self.is_bound or "url" not in self.errors:
            return None
        url = self.cleaned_data.get("url") or self.data.get(self.add_prefix("url"), "")
        return duplicates.source_with_url(url, exclude_pk=self.instance.pk)

    def similar_titles(self):
        """Other sources with almost this title: warned about after the save, not refused
        (two reports may share a title)."""
        return duplicates.similar_source_titles(
            self.cleaned_data.get("title", ""), exclude_pk=self.instance.pk
        )


class CitationChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, citation):
        return f"{citation.source.title} ({citation.get_role_display().split(' (')[0]})"


class ClaimForm(VersionedForm):
    actor = ActorNameField()
    # Posted by the "Save anyway" button shown beside the possible duplicates.
    save_anyway = forms.BooleanField(required=False, widget=forms.HiddenInput, label="Save anyway")
    save_anyway.summary_anchor = "possible-duplicates"

    class Meta:
        model = Claim
        fields = ["actor", "headline", "text", "stated_on"]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 5}),
            "stated_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, can_remove_citations=False, **kwargs):
        super().__init__(*args, **kwargs)
        # Optional: attach the claim to a proposition while writing it (found by words).
        self.fields["proposition"] = PropositionField(
            required=False, label="Bears on the proposition"
        )
        self.fields["stance"] = forms.ChoiceField(
            choices=[("", "—"), *StanceKind.choices], required=False, label="Its stance"
        )
        if self.instance.pk and can_remove_citations:
            self.fields["remove_citations"] = CitationChoiceField(
                queryset=self.instance.citations.select_related("source"),
                widget=forms.CheckboxSelectMultiple,
                required=False,
                label="Remove these citations",
                help_text="The sources themselves stay.",
            )

    def clean(self):
        cleaned = super().clean()
        proposition, stance = cleaned.get("proposition"), cleaned.get("stance")
        if proposition and not stance:
            self.add_error("stance", "Say whether the claim asserts, denies or doubts it.")
        elif stance and not proposition and "proposition" not in self.errors:
            self.add_error("proposition", "Name the proposition the stance is on.")
        elif (
            proposition
            and self.instance.pk
            and proposition.stances.filter(claim=self.instance).exists()
        ):
            self.add_error(
                "proposition", f"This claim is already attached to “{proposition.statement}”."
            )
        if self.instance.pk is None and not self.errors:
            self._check_duplicates(cleaned)
        return cleaned

    # Claims like the new one, when the form stopped to show them (the page lists them).
    possible_duplicates = ()

    def _check_duplicates(self, cleaned):
        found = duplicates.similar_claims(
            headline=cleaned.get("headline"),
            text=cleaned.get("text"),
            actor=cleaned.get("actor"),
            stated_on=cleaned.get("stated_on"),
        )
        if found and not cleaned.get("save_anyway"):
            self.possible_duplicates = found
            self.add_error(
                "save_anyway",
                f"{len(found)} claim(s) already recorded say almost the same: open one of "
                "the possible duplicates listed, or choose “Save anyway”.",
            )


class CitationForm(TextareaNewlinesMixin, forms.Form):
    """One citation row of the claim form: an existing source (id or exact title) or a new
    source typed inline, its role and the quote."""

    source = forms.CharField(
        required=False,
        max_length=300,
        label="Existing source",
        help_text="Its title, URL or number (see the sources list).",
    )
    new_source_title = forms.CharField(required=False, max_length=300, label="New source title")
    new_source_url = forms.URLField(
        required=False, max_length=2000, label="New source URL", assume_scheme="https"
    )
    new_source_kind = forms.ChoiceField(
        choices=Source.Kind.choices,
        initial=Source.Kind.OTHER,
        required=False,
        label="New source kind",
    )
    new_source_publisher = forms.CharField(
        required=False, max_length=200, label="New source publisher"
    )
    new_source_published_on = forms.DateField(
        required=False,
        label="New source date",
        help_text="When it was published.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
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
    # Evidence grades; an appearance leaves them empty.
    direction = forms.ChoiceField(
        choices=[("", "— (appearance: none)"), *Direction.choices],
        required=False,
        label="Direction (evidence)",
        help_text="Does this evidence support or refute the claim, or give context? "
        "Default for evidence: context.",
    )
    credibility = forms.TypedChoiceField(
        choices=[("", "— (appearance: none; evidence: 6)"), *CREDIBILITY_CHOICES],
        coerce=int,
        empty_value=None,
        required=False,
        label="Information credibility (evidence)",
    )
    reliability_override = forms.ChoiceField(
        choices=[("", "The source's own grade"), *RELIABILITY_CHOICES],
        required=False,
        label="Source reliability for this item (evidence)",
        help_text="Only when it differs from the source's grade, e.g. a reliable outlet "
        "relaying a rumour.",
    )

    def clean_role(self):
        return self.cleaned_data["role"] or Citation.Role.APPEARANCE

    def _check_grades(self, cleaned):
        role = cleaned.get("role") or Citation.Role.APPEARANCE
        credibility, direction = cleaned.get("credibility"), cleaned.get("direction", "")
        if role == Citation.Role.EVIDENCE:
            credibility = credibility or Credibility.CANNOT_JUDGE
            direction = direction or Direction.CONTEXT
            cleaned["credibility"], cleaned["direction"] = credibility, direction
        try:
            services.validate_citation_grades(
                role=role,
                credibility=credibility,
                direction=direction,
                reliability_override=cleaned.get("reliability_override", ""),
            )
        except forms.ValidationError as error:
            for name, messages in error.message_dict.items():
                self.add_error(name, messages)

    def clean_source(self):
        value = self.cleaned_data["source"].strip()
        if not value:
            return None
        return Source.objects.resolve(value)

    def clean(self):
        cleaned = super().clean()
        source, title = cleaned.get("source"), cleaned.get("new_source_title", "").strip()
        url = cleaned.get("new_source_url", "")
        if self.errors:
            return cleaned
        self._check_grades(cleaned)
        if source is not None and (title or url):
            raise forms.ValidationError("Choose an existing source or type a new one, not both.")
        if source is None and url and not title:
            self.add_error("new_source_title", "Give the new source a title.")
        if source is None and not title and cleaned.get("quote"):
            self.add_error("source", "Say which source this quote is from.")
        if url and source is None:
            existing = duplicates.source_with_url(url)
            if existing is not None:
                self.same_url_source = existing
                self.add_error("new_source_url", duplicates.same_url_message(existing))
        return cleaned

    # The existing source with the typed URL, when the row was refused (the page links it).
    same_url_source = None

    def clean_new_source_kind(self):
        return self.cleaned_data["new_source_kind"] or Source.Kind.OTHER

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
            new_source_kind=data["new_source_kind"],
            new_source_publisher=data["new_source_publisher"].strip(),
            new_source_published_on=data["new_source_published_on"],
            role=data["role"],
            quote=data["quote"],
            credibility=data.get("credibility"),
            direction=data.get("direction", ""),
            reliability_override=data.get("reliability_override", ""),
        )


class BaseCitationFormSet(forms.BaseFormSet):
    def __init__(self, *args, claim=None, edited=None, **kwargs):
        self.claim = claim
        # {(source id, role)} of the claim's citations as the edit form leaves them.
        self.edited = edited
        super().__init__(*args, **kwargs)

    def clean(self):
        if any(self.errors):
            return
        seen = set()
        if self.claim is not None:
            seen = set(self.claim.citations.values_list("source_id", "role"))
        new_urls = set()
        if self.edited is not None:
            seen = set(self.edited)
        for form in self.forms:
            url = duplicates.normalize_url(form.cleaned_data.get("new_source_url"))
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
    """A verdict: the claim page's "Mark status" form and the first verdict on the new-claim
    form (prefix "verdict"), both rendered by claims/_verdict_fields.html. A field added
    here appears on both and reaches the services through verdict()."""

    status = forms.ChoiceField(choices=Claim.Status.choices, widget=forms.RadioSelect)
    rationale = forms.CharField(
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required for confirmed and denied: say what settles it.",
    )
    confidence = forms.ChoiceField(
        choices=CONFIDENCE_CHOICES,
        widget=forms.RadioSelect,
        required=False,
        help_text="How sure is this verdict? Required for confirmed and denied.",
    )

    def clean(self):
        cleaned = super().clean()
        if "status" in cleaned:
            try:
                services.validate_status_change(**self.verdict())
            except forms.ValidationError as error:
                # Each message beside its own field, so the user sees which one to fix.
                for name, messages in error.message_dict.items():
                    self.add_error(name if name in self.fields else None, messages)
        return cleaned

    def verdict(self):
        """The verdict as keyword arguments of services.claim_set_status and create_claim."""
        return {
            "status": self.cleaned_data["status"],
            "rationale": self.cleaned_data.get("rationale", ""),
            "confidence": self.cleaned_data.get("confidence", ""),
        }


class VerdictForm(StatusForm):
    """The first verdict, on the new-claim form: left unanswered (a script posting only the
    claim), the claim starts unverified."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].required = False
        self.fields["status"].label = "Verdict"

    def clean_status(self):
        return self.cleaned_data["status"] or Claim.Status.UNVERIFIED

    def clean_rationale(self):
        return self.cleaned_data["rationale"].strip()


class CitationEditForm(TextareaNewlinesMixin, forms.Form):
    """An existing citation of the claim being edited: its role and its quote."""

    citation = forms.IntegerField(widget=forms.HiddenInput)
    role = forms.ChoiceField(choices=Citation.Role.choices)
    quote = forms.CharField(
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class BaseCitationEditFormSet(forms.BaseFormSet):
    """One row per citation the claim has, matched by id (a row for a citation removed
    meanwhile is ignored)."""

    def __init__(self, *args, citations=(), **kwargs):
        self.cited = {c.pk: c for c in citations}
        kwargs.setdefault(
            "initial",
            [{"citation": c.pk, "role": c.role, "quote": c.quote} for c in citations],
        )
        super().__init__(*args, **kwargs)
        for form in self.forms:
            citation = self.cited.get(form.initial.get("citation"))
            form.source_title = citation.source.title if citation else ""

    def _construct_form(self, i, **kwargs):
        # Every row is a citation that exists: checked even when left as it was.
        return super()._construct_form(i, empty_permitted=False, **kwargs)

    def clean(self):
        if any(self.errors):
            return
        seen = {}
        for form in self.forms:
            citation = self.cited.get(form.cleaned_data.get("citation"))
            if citation is None:
                continue
            key = (citation.source_id, form.cleaned_data["role"])
            if key in seen:
                form.add_error("role", "This source is cited in this role already.")
                raise forms.ValidationError(f"“{citation.source}” is cited twice in one role.")
            seen[key] = citation

    def edits(self, removed=()):
        """The rows as services.CitationEdit, the removed citations left out."""
        gone = {c.pk for c in removed}
        result = []
        for form in self.forms:
            citation = self.cited.get(form.cleaned_data.get("citation"))
            if citation is not None and citation.pk not in gone:
                result.append(
                    services.CitationEdit(
                        citation=citation,
                        role=form.cleaned_data["role"],
                        quote=form.cleaned_data["quote"],
                    )
                )
        return result

    def kept_keys(self, removed=()):
        """{(source id, role)} of the citations kept, with their edited roles."""
        return {(e.citation.source_id, e.role) for e in self.edits(removed)}


CitationEditFormSet = forms.formset_factory(
    CitationEditForm,
    formset=BaseCitationEditFormSet,
    extra=0,
    max_num=1000,
    absolute_max=1000,
)


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


# Propositions and stances -----------------------------------------------------------------------


def find_proposition(words):
    """The one proposition `words` names: its slug, its exact statement, or words found in
    its statement. Raises ValidationError naming the text when none or several match."""
    text = " ".join((words or "").replace("\x00", "").split())[:300]
    if not text:
        raise forms.ValidationError("Name the proposition: its slug or words of its statement.")
    exact = Proposition.objects.filter(Q(slug=text.lower()) | Q(statement__iexact=text))
    found = list(exact[:2]) or list(Proposition.objects.search(text).order_by("statement")[:6])
    if len(found) == 1:
        return found[0]
    if not found:
        raise forms.ValidationError(
            f"No proposition matches “{text}”. Check the words, or create it.", code="unknown"
        )
    names = "; ".join(f"“{p.statement}” ({p.slug})" for p in found[:5])
    raise forms.ValidationError(
        f"“{text}” matches several propositions: {names}. Type more of the statement or its slug.",
        code="ambiguous",
    )


class PropositionField(forms.CharField):
    """A proposition typed as words of its statement or its slug, never picked by id."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 300)
        kwargs.setdefault(
            "help_text", "Words of its statement, or its slug, e.g. north-korean-troops."
        )
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        return find_proposition(value)


class PropositionForm(VersionedForm):
    class Meta:
        model = Proposition
        fields = ["statement", "slug", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}


class StanceForm(TextareaNewlinesMixin, forms.Form):
    """Attach a claim to a proposition found by words, or to one created on the spot."""

    proposition = PropositionField(required=False, label="Proposition")
    new_statement = forms.CharField(
        required=False,
        max_length=300,
        label="…or a new proposition",
        help_text="Creates it with this statement when no existing one fits.",
    )
    stance = forms.ChoiceField(choices=StanceKind.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        required=False, max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, claim=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.claim = claim

    def clean(self):
        cleaned = super().clean()
        proposition, statement = cleaned.get("proposition"), cleaned.get("new_statement", "")
        statement = " ".join(statement.split())
        if "proposition" in self.errors:
            return cleaned
        if proposition and statement:
            raise forms.ValidationError("Name an existing proposition or a new one, not both.")
        if not proposition and not statement:
            self.add_error("proposition", "Name the proposition this claim bears on.")
        if statement and Proposition.objects.filter(statement__iexact=statement).exists():
            self.add_error("new_statement", f"“{statement}” already exists: name it above.")
        if proposition and self.claim and proposition.stances.filter(claim=self.claim).exists():
            self.add_error(
                "proposition", f"This claim is already attached to “{proposition.statement}”."
            )
        cleaned["new_statement"] = statement
        return cleaned


class ClaimStateField(forms.MultipleChoiceField):
    """Ticked claims as "id:version:status", the state the page showed: a claim that moved
    on since then is skipped by the service rather than overwritten."""

    widget = forms.CheckboxSelectMultiple
    pattern = re.compile(r"([0-9]{1,18}):([0-9]{1,9}):(confirmed|denied|unverified)")

    def valid_value(self, value):
        return bool(self.pattern.fullmatch(value))

    def clean(self, value):
        values = super().clean(value)
        states = {}
        for value in values:
            pk, version, status = self.pattern.fullmatch(value).groups()
            states[int(pk)] = (int(version), status)
        return states


class ApplyVerdictForm(TextareaNewlinesMixin, forms.Form):
    claims = ClaimStateField(
        required=True,
        label="Claims to change",
        error_messages={"required": "Tick at least one claim."},
    )
    rationale = forms.CharField(
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Written to every changed claim's timeline.",
    )
    # Every applied verdict is confirmed or denied, so each needs its confidence.
    confidence = forms.ChoiceField(
        choices=CONFIDENCE_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Say how confident: low, moderate or high."},
        help_text="Written with the verdict to every changed claim's timeline.",
    )
