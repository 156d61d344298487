"""Every model in the admin: its list page opens for an administrator (no missing field, no N+1 crash)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import UserFactory


@pytest.mark.parametrize("model", sorted(admin.site._registry, key=lambda m: m._meta.label),
                         ids=lambda m: m._meta.label)
def test_the_admin_list_page_of_every_model_opens(client, ticket, model):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    response = client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))

    assert response.status_code == 200
