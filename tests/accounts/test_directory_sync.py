"""accounts.services.directory_user_sync: the one place where a directory login becomes an account, its
roles and its organisation (both OpenID Connect and LDAP call it; their own tests go through real servers)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured

from accounts.directory import DirectoryAccessDenied, DirectoryIdentity
from accounts.models import Organisation
from accounts.roles import agent_level, group_names, is_agent, is_manager
from accounts.services import directory_user_sync
from tests.factories import OrganisationFactory, UserFactory, make_ticket

User = get_user_model()


@pytest.fixture
def mapping(settings):
    settings.HELPDESK_SSO_ROLE_MAP = {
        "cn=helpdesk-users,ou=groups,dc=example,dc=org": "requester",
        "helpdesk-n2": "N2",
        "Helpdesk-Managers": "manager",
        "helpdesk-admins": "admin",
    }
    settings.HELPDESK_SSO_DEFAULT_ROLE = ""
    settings.HELPDESK_SSO_ORGANISATION_MAP = {"acme.example": "Acme"}
    settings.HELPDESK_SSO_ORGANISATION_ATTRIBUTE = ""
    return settings


def identity(**overrides) -> DirectoryIdentity:
    values = {"source": "ldap", "username": "jdupont", "email": "jean.dupont@acme.example",
              "first_name": "Jean", "last_name": "Dupont", "groups": ("helpdesk-n2",)}
    return DirectoryIdentity(**{**values, **overrides})


def fresh(user):
    return User.objects.get(pk=user.pk)


def test_a_new_directory_user_is_created_with_the_mapped_role_and_organisation(mapping, db):
    user = fresh(directory_user_sync(identity=identity()))

    assert (user.username, user.email, user.get_full_name()) == ("jdupont", "jean.dupont@acme.example", "Jean Dupont")
    assert agent_level(user) == "N2" and not is_manager(user)
    assert user.profile.organisation.name == "Acme"
    assert not user.has_usable_password()
    assert not user.is_staff and not user.is_superuser


def test_groups_are_compared_without_case_and_a_dn_maps_as_well_as_a_name(mapping, db):
    user = directory_user_sync(identity=identity(groups=("CN=Helpdesk-Users,OU=Groups,DC=example,DC=org",
                                                         "helpdesk-managers")))

    user = fresh(user)
    assert is_manager(user) and user.is_staff and not user.is_superuser
    assert group_names(user) == {"Manager"}


def test_the_admin_group_makes_a_superuser(mapping, db):
    user = fresh(directory_user_sync(identity=identity(groups=("helpdesk-admins",))))

    assert user.is_superuser and user.is_staff


def test_roles_follow_the_directory_at_every_login(mapping, db):
    directory_user_sync(identity=identity(groups=("helpdesk-n2", "helpdesk-managers")))
    user = fresh(directory_user_sync(identity=identity(groups=("cn=helpdesk-users,ou=groups,dc=example,dc=org",))))

    assert not is_agent(user) and not user.is_staff
    assert group_names(user) == set()


def test_groups_outside_the_roles_are_left_alone(mapping, db):
    user = UserFactory(username="jdupont", groups=["N1", "Beta testers"])

    directory_user_sync(identity=identity())

    assert group_names(fresh(user)) == {"N2", "Beta testers"}


def test_a_user_in_no_mapped_group_is_refused_and_nothing_is_written(mapping, db):
    with pytest.raises(DirectoryAccessDenied) as refused:
        directory_user_sync(identity=identity(groups=("cn=accounting,ou=groups,dc=example,dc=org",)))

    assert refused.value.reason == "no_role"
    assert not User.objects.filter(username="jdupont").exists()


def test_the_default_role_lets_everyone_the_directory_knows_in(mapping, db):
    mapping.HELPDESK_SSO_DEFAULT_ROLE = "requester"

    user = fresh(directory_user_sync(identity=identity(groups=())))

    assert not is_agent(user)


def test_an_unknown_role_in_the_mapping_is_a_configuration_error(mapping, db):
    mapping.HELPDESK_SSO_ROLE_MAP = {"helpdesk-n2": "superhero"}

    with pytest.raises(ImproperlyConfigured):
        directory_user_sync(identity=identity())


def test_the_organisation_attribute_wins_over_the_email_domain(mapping, db):
    mapping.HELPDESK_SSO_ORGANISATION_ATTRIBUTE = "company"

    user = directory_user_sync(identity=identity(attributes={"company": ["Globex"]}))

    assert fresh(user).profile.organisation.name == "Globex"
    assert Organisation.objects.filter(name="Acme").count() == 0


def test_a_person_the_mapping_names_no_organisation_for_keeps_theirs(mapping, db):
    organisation = OrganisationFactory(name="Set by a manager")
    user = UserFactory(username="jdupont", organisation=organisation)

    directory_user_sync(identity=identity(email="jean@elsewhere.example"))

    assert fresh(user).profile.organisation == organisation


def test_an_account_disabled_here_stays_disabled(mapping, db):
    UserFactory(username="jdupont", is_active=False)

    with pytest.raises(DirectoryAccessDenied) as refused:
        directory_user_sync(identity=identity())

    assert refused.value.reason == "inactive"


def test_openid_connect_finds_the_account_by_email_and_keeps_its_tickets(mapping, db):
    existing = UserFactory(username="jean", email="Jean.Dupont@acme.example")
    ticket = make_ticket(requester=existing)

    user = directory_user_sync(identity=identity(source="oidc", username="jean.dupont@acme.example"))

    assert user.pk == existing.pk
    assert ticket.requester_id == user.pk


def test_openid_connect_without_an_email_is_refused(mapping, db):
    with pytest.raises(DirectoryAccessDenied) as refused:
        directory_user_sync(identity=identity(source="oidc", email=""))

    assert refused.value.reason == "no_email"


def test_a_new_openid_connect_user_whose_username_is_taken_gets_another(mapping, db):
    UserFactory(username="jean.dupont@acme.example", email="someone.else@acme.example")

    user = directory_user_sync(identity=identity(source="oidc", username="jean.dupont@acme.example"))

    assert user.username == "jean.dupont@acme.example-2"


def test_google_workspace_names_agents_by_email_and_the_organisation_by_hosted_domain(mapping, db):
    """docs/sso.md's Google Workspace setup: no groups claim, so the groups claim is pointed at email."""
    from accounts.oidc import identity_from_claims

    mapping.HELPDESK_OIDC_GROUPS_CLAIM = "email"
    mapping.HELPDESK_SSO_ROLE_MAP = {"Nadia.Petit@acme.example": "N1"}
    mapping.HELPDESK_SSO_DEFAULT_ROLE = "requester"
    mapping.HELPDESK_SSO_ORGANISATION_ATTRIBUTE = "hd"
    claims = {"sub": "1", "email": "nadia.petit@acme.example", "email_verified": True, "hd": "acme.example",
              "given_name": "Nadia", "family_name": "Petit"}

    agent = fresh(directory_user_sync(identity=identity_from_claims(claims)))
    requester = fresh(directory_user_sync(identity=identity_from_claims(claims | {"email": "paul@acme.example"})))

    assert agent_level(agent) == "N1" and agent.profile.organisation.name == "acme.example"
    assert not is_agent(requester)


def test_mappings_made_in_the_admin_add_to_the_settings_and_win_over_them(mapping, db):
    from accounts.models import DirectoryOrganisationMapping, DirectoryRoleMapping

    DirectoryRoleMapping.objects.create(group="HELPDESK-N2", role="N4")
    DirectoryRoleMapping.objects.create(group="cn=support-n1,ou=groups,dc=example,dc=org", role="N1")
    DirectoryOrganisationMapping.objects.create(domain="@ACME.example",
                                                organisation=OrganisationFactory(name="Acme Corporation"))

    user = fresh(directory_user_sync(identity=identity(
        groups=("helpdesk-n2", "CN=Support-N1,OU=Groups,DC=example,DC=org"))))

    assert group_names(user) == {"N1", "N4"}
    assert user.profile.organisation.name == "Acme Corporation"


def test_an_administrator_adds_a_group_mapping_in_the_admin(client, db):
    from accounts.models import DirectoryRoleMapping

    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))

    response = client.post("/admin/accounts/directoryrolemapping/add/",
                           {"group": " cn=helpdesk-n3,ou=groups,dc=example,dc=org ", "role": "N3"})

    assert response.status_code == 302
    assert DirectoryRoleMapping.objects.get().group == "cn=helpdesk-n3,ou=groups,dc=example,dc=org"
