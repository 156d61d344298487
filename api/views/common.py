"""What every API view shares: the If-Match version, form errors as a 400, keyset pages."""

from __future__ import annotations

from django.conf import settings
from django.http import QueryDict
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response

MAX_PAGE_SIZE = 100


def if_match(request) -> int | None:
    """The ticket version the client last read (`If-Match: "7"`, as the ETag gave it), or None."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    value = header.removeprefix("W/").strip().strip('"')
    try:
        return int(value)
    except ValueError:
        raise exceptions.ValidationError({"If-Match": [_("Send the ticket's ETag, e.g. \"3\".")]}) from None


def etag(version: int) -> str:
    return f'"{version}"'


def form_data(request, **defaults) -> dict:
    """The request body as a form's data (JSON object or form fields), with `defaults` for what is absent."""
    data = request.data
    if hasattr(data, "getlist"):  # form fields: keep every value of multi-valued fields, leave files out
        merged = QueryDict(mutable=True)
        for key in data:
            if key not in request.FILES:
                merged.setlist(key, data.getlist(key))
        for key, value in defaults.items():
            if key not in merged:
                merged[key] = value
        return merged
    if not isinstance(data, dict):
        raise exceptions.ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    return {**defaults, **data}


def invalid(form) -> exceptions.ValidationError:
    return exceptions.ValidationError({name: [str(message) for message in messages]
                                       for name, messages in form.errors.items()})


def page_size(request) -> int:
    try:
        size = int(request.query_params.get("limit", settings.HELPDESK_PAGE_SIZE))
    except ValueError:
        raise exceptions.ValidationError({"limit": [_("A whole number, at most 100.")]}) from None
    return max(1, min(size, MAX_PAGE_SIZE))


def keyset_response(request, results, next_cursor: str | None) -> Response:
    """`{"results": [...], "next": URL or null}`: `next` repeats the query with `after=` the cursor."""
    next_url = None
    if next_cursor:
        params = request.query_params.copy()
        params["after"] = next_cursor
        next_url = request.build_absolute_uri(request.path) + "?" + params.urlencode()
    return Response({"results": results, "next": next_url})
