"""Environment variables read by helpdesk/settings.py fail loudly on a value they cannot read."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from helpdesk.settings import env_bool


@pytest.mark.parametrize(("value", "expected"), [
    ("1", True), ("true", True), ("Yes", True), (" ON ", True),
    ("0", False), ("false", False), ("No", False), ("off", False),
])
def test_a_yes_no_variable_reads_the_usual_words(monkeypatch, value, expected):
    monkeypatch.setenv("HELPDESK_TEST_FLAG", value)
    assert env_bool("HELPDESK_TEST_FLAG", not expected) is expected


@pytest.mark.parametrize("value", [None, "", "  "])
def test_an_unset_or_empty_yes_no_variable_gives_its_default(monkeypatch, value):
    if value is None:
        monkeypatch.delenv("HELPDESK_TEST_FLAG", raising=False)
    else:
        monkeypatch.setenv("HELPDESK_TEST_FLAG", value)
    assert env_bool("HELPDESK_TEST_FLAG", True) is True
    assert env_bool("HELPDESK_TEST_FLAG", False) is False


def test_a_misspelt_yes_no_variable_is_refused_rather_than_read_as_no(monkeypatch):
    monkeypatch.setenv("SECURE_SSL_REDIRECT", "ture")
    with pytest.raises(ImproperlyConfigured, match="SECURE_SSL_REDIRECT='ture'"):
        env_bool("SECURE_SSL_REDIRECT", False)
