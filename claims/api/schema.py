"""Make the OpenAPI schema tell the truth where drf-spectacular's defaults don't
(a postprocessing hook, SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""

import copy

from django.apps import apps
from django.core.validators import RegexValidator

ERROR = {"$ref": "#/components/schemas/Error"}
ERROR_SCHEMA = {
    "type": "object",
    "description": "`detail` says what is wrong; a refused field is named with its messages.",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}
# Answers any operation may give, whatever its own responses.
COMMON_ERRORS = {
    "400": "Bad input: a query parameter, a field or the body (named in the answer).",
    "401": "Not signed in.",
    "403": "Signed in without the permission this needs.",
    "414": "The request line is too long (refused by the server before the app).",
    "429": "Too many failed logins from this address.",
    "503": "The database is unavailable (with Retry-After) or the query took too long "
    "(without: narrow the filter). For a write: it may or may not have been saved; check, "
    "or send it again with the same Idempotency-Key.",
}
WRITE_ERRORS = {
    "409": "Conflict: a stale `version`, a record still in use, or a request with this "
    "Idempotency-Key still in progress.",
    "422": "This Idempotency-Key was used for a different request in the last 24 hours.",
}
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Any unique string (e.g. a UUID). Sent again within 24 hours with the same "
    "request, the first answer is returned and nothing is written again.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


def truthful_schema(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            _document_errors(path, method, operation)
            if method in ("put", "patch"):
                _require_version(operation, schemas)
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "page_size":
                    parameter["schema"].update(minimum=1, maximum=500)
    _drop_uri_formats(schemas)
    _allow_blank_patterns(schemas)
    return result


def _blank_pattern_fields():
    """Names of model fields that may be blank yet have a pattern (country, Wikidata id)."""
    names = set()
    for model in apps.get_app_config("claims").get_models():
        for field in model._meta.fields:
            if field.blank and any(isinstance(v, RegexValidator) for v in field.validators):
                names.add(field.name)
    return names


def _allow_blank_patterns(schemas):
    """drf-spectacular copies a field's regex into the schema, though the field may also be
    blank (an actor with no country): the pattern then allows the empty string too."""
    names = _blank_pattern_fields()
    for component in schemas.values():
        for name, prop in component.get("properties", {}).items():
            if name in names and "pattern" in prop:
                inner = prop["pattern"].removeprefix("^").removesuffix("$")
                prop["pattern"] = f"^(?:{inner})?$"


def _document_errors(path, method, operation):
    responses = operation.setdefault("responses", {})
    errors = dict(COMMON_ERRORS)
    if "{" in path:
        errors["404"] = "No such record (or a forged cursor)."
    else:
        errors["404"] = "A cursor or page that doesn't exist."
    if method in ("post", "put", "patch", "delete"):
        errors.update(WRITE_ERRORS)
        operation.setdefault("parameters", []).append(dict(IDEMPOTENCY_KEY))
    for code, description in errors.items():
        responses.setdefault(
            code, {"description": description, "content": {"application/json": {"schema": ERROR}}}
        )


def _require_version(operation, schemas):
    """`version` is optional on create but required on update: updates get their own copy
    of the request schema that says so."""
    for media in operation.get("requestBody", {}).get("content", {}).values():
        ref = media.get("schema", {}).get("$ref", "")
        name = ref.rsplit("/", 1)[-1]
        component = schemas.get(name)
        if not component or "version" not in component.get("properties", {}):
            continue
        update_name = (
            f"{name.removeprefix('Patched')}Update{'Patch' if name.startswith('Patched') else ''}"
        )
        if update_name not in schemas:
            update = copy.deepcopy(component)
            update["required"] = sorted({*update.get("required", []), "version"})
            schemas[update_name] = update
        media["schema"] = {"$ref": f"#/components/schemas/{update_name}"}


def _drop_uri_formats(node):
    """URLs are validated as Django's URLValidator does, which accepts some (quotes, for
    one) that JSON Schema's `uri` format refuses: the schema says "string", not "uri". A
    blank-or-URL field (oneOf: a URL, or an empty string) then becomes one string, since
    oneOf must not match twice."""
    if isinstance(node, dict):
        if node.get("format") == "uri":
            del node["format"]
        alternatives = node.get("oneOf", [])
        for value in alternatives:
            _drop_uri_formats(value)
        if len(alternatives) == 2 and {"type": "string", "maxLength": 0} in alternatives:
            node.update(next(a for a in alternatives if a.get("maxLength") != 0))
            del node["oneOf"]
        for value in node.values():
            _drop_uri_formats(value)
    elif isinstance(node, list):
        for value in node:
            _drop_uri_formats(value)
