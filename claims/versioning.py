"""Optimistic locking for rows people edit in forms: each save raises the row's `version`,
and a save that started from an older version is refused with what the other person changed.

The site's forms, the admin and the API all name the edited version `version`."""

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.db import models

# The one name of the version a form, an admin page or an API request says it edited.
VERSION_FIELD = "version"


class VersionedModel(models.Model):
    """A row edited in forms: `version` goes up on every save so a stale edit is refused."""

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True


class VersionConflict(Exception):
    """Someone else saved the record after this edit began; `current` is what they saved."""

    def __init__(self, current):
        super().__init__(f"{current._meta.verbose_name} was changed by someone else")
        self.current = current


def version_form_field():
    """The hidden form field that carries the version the user loaded."""
    return forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, max_value=2**31 - 1
    )


def saved_fields(instance):
    """The fields an edit may write: what forms edit plus the bookkeeping columns.
    Non-editable fields (a claim's status) are left out: their own service writes them."""
    names = [f.name for f in instance._meta.concrete_fields if f.editable and not f.primary_key]
    extra = {VERSION_FIELD, "updated_at", "updated_by"}
    return names + [f.name for f in instance._meta.concrete_fields if f.name in extra]


def save_versioned(instance, *, version, prepare=None):
    """Save an edit of an existing row unless someone saved it after `version` was loaded.

    Locks the row, raises VersionConflict (carrying the current row) when `version` is stale,
    calls `prepare(instance, current)` to copy anything the edit must not overwrite, then
    saves with the next version. Call it inside a transaction (the services do)."""
    current = type(instance).objects.select_for_update().get(pk=instance.pk)
    if current.version != int(version):
        raise VersionConflict(current)
    if prepare is not None:
        prepare(instance, current)
    instance.version = current.version + 1
    instance.save(update_fields=saved_fields(instance))
    return instance


class StaleEditMixin:
    """The one stale-edit handling, for the site's forms and the admin's: after a
    VersionConflict, fields the user did not touch take the stored value, the user's own
    changes stay, the form carries the current version (so the next save overwrites on
    purpose) and the message names what the other person changed."""

    def refuse_stale_save(self, current):
        before = started_from(self, current)
        self.data = self.data.copy()
        self.data[self.add_prefix(VERSION_FIELD)] = current.version
        if before is not None:
            for name, field in self.fields.items():
                if name not in self.cleaned_data or not _is_model_field(current, name):
                    continue
                submitted = _comparable(self.cleaned_data[name])
                if submitted == _comparable(_stored(before, name)):
                    # Untouched by this user: show what is stored now, not the old value.
                    self.data[self.add_prefix(name)] = _as_data(field, _stored(current, name))
        self.add_error(None, conflict_message(self, current, before=before))


def started_from(form, current):
    """The row as this user loaded it: the history entry of the version they edited."""
    version = form.cleaned_data.get(VERSION_FIELD)
    history = getattr(type(current), "history", None)
    if version is None or history is None:
        return None
    return history.filter(id=current.pk, version=version).order_by("-history_date").first()


def _is_model_field(instance, name):
    try:
        instance._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def _stored(row, name):
    """A field's value on a row or history row; a related row by its key (no query)."""
    field = row._meta.get_field(name)
    return getattr(row, field.attname)


def _comparable(value):
    if isinstance(value, models.Model):
        value = value.pk
    if value in (None, ""):
        return ""
    return str(value)


def _as_data(field, value):
    """A stored value as the form would post it."""
    if value is None:
        return ""
    if isinstance(field, forms.ModelChoiceField):
        key = field.to_field_name or "pk"
        return str(field.queryset.filter(pk=value).values_list(key, flat=True).first() or "")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _display(value):
    if value in (None, ""):
        return "(empty)"
    return str(value)


def conflict_changes(form, current, before=None):
    """[(label, what this user started from, what is saved now)] for every field that differs."""
    changes = []
    for name, field in form.fields.items():
        if name == VERSION_FIELD or not _is_model_field(current, name):
            continue
        now = getattr(current, name)
        if before is not None:
            then = getattr(before, name, None)
        else:
            # No history entry: compare with what the user submitted.
            then = form.cleaned_data.get(name)
        if _comparable(_display(then)) == _comparable(_display(now)):
            continue
        changes.append((str(field.label or name), _display(then), _display(now)))
    return changes


def conflict_message(form, current, before=None):
    changes = conflict_changes(form, current, before=before)
    what = "; ".join(f"{label}: “{then}” → “{now}”" for label, then, now in changes)
    return (
        "Someone else saved this record while you were editing it. "
        f"They changed: {what or 'nothing shown in this form'}. "
        "Your input is kept below, and fields you did not change show their saved values: "
        "check it, then save again to overwrite."
    )
