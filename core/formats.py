"""Dates in the reader's language and time zone, as the `date` template filter writes them, at a fraction of
its cost for pages that write many (the queue's rows, a timeline: bench/RESULTS.md, issue 16).

`date_format(value, "SHORT_DATETIME_FORMAT")` builds a DateFormat per call (it checks whether the time is
ambiguous in its zone) and splits the format with a regular expression each time: about 25–70 µs, which a
timeline of 50 events pays twice per entry. `date_formatter(name)` resolves the language's format once, splits
it once, and calls Django's own DateFormat methods for each letter, so the text is the same as Django's
(tests/core/test_formats.py holds them equal). Letters that depend on the time zone's rules (e, I, O, r, T,
U, Z) go through a whole DateFormat, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache

from django.utils import dateformat, timezone, translation
from django.utils.dateformat import DateFormat, re_escaped, re_formatchars
from django.utils.formats import get_format

# Letters whose DateFormat method reads the zone (self.timezone), which only DateFormat.__init__ sets.
ZONE_LETTERS = frozenset("eIOrTUZ")


@lru_cache(maxsize=64)
def _compiled(format_string: str) -> tuple[tuple[bool, str], ...]:
    """(is a letter, text) pieces, split as DateFormat.format splits them; escaped literals unescaped."""
    pieces = []
    for index, piece in enumerate(re_formatchars.split(format_string)):
        if index % 2:
            pieces.append((True, piece))
        elif piece:
            pieces.append((False, re_escaped.sub(r"\1", piece)))
    return tuple(pieces)


def format_local(value: datetime, format_string: str, zone=None) -> str:
    """`value` (aware) in `zone` (the current time zone by default), written with a Django date format
    string."""
    local = value.astimezone(zone or timezone.get_current_timezone())
    fast = DateFormat.__new__(DateFormat)  # without __init__: no zone, no ambiguity check
    fast.data, fast.timezone = local, None
    whole = None
    parts = []
    for letter, text in _compiled(format_string):
        if not letter:
            parts.append(text)
        elif text in ZONE_LETTERS:
            whole = whole or DateFormat(local)
            parts.append(str(getattr(whole, text)()))
        else:
            parts.append(str(getattr(fast, text)()))
    return "".join(parts)


def date_formatter(format_name: str) -> Callable[[datetime], str]:
    """A function writing aware datetimes as `{{ value|date:format_name }}` would, in the language and zone
    active now (resolve it once per page, call it per row). What it wrote lately is kept (_written): the queue's
    badges write the deadlines of the same tickets on every refresh."""
    format_string, zone = str(get_format(format_name)), timezone.get_current_timezone()
    language = translation.get_language()
    return lambda value: _written(value, format_string, zone, language)


@lru_cache(maxsize=4096)
def _written(value: datetime, format_string: str, zone, language: str | None) -> str:
    """format_local in `language` (month and day names, a.m./p.m.): the key holds all the text depends on. An
    instant is the same key in any zone it is given in, and is written in `zone`."""
    with translation.override(language):
        return format_local(value, format_string, zone)


def day_formatter(format_name: str) -> Callable[[date], str]:
    """A function writing days (dates without a time) as `{{ value|date:format_name }}` would, in the language
    active now: the dashboard's trend writes a hundred, the same ones from one request to the next."""
    format_string, language = str(get_format(format_name)), translation.get_language()
    return lambda value: _day_written(value, format_string, language)


@lru_cache(maxsize=4096)
def _day_written(value: date, format_string: str, language: str | None) -> str:
    with translation.override(language):
        return dateformat.format(value, format_string)
