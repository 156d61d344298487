"""Changes of the reference data accounts caches (accounts.selectors); connected in AccountsConfig.ready()."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from core.cache import invalidate

from .models import Organisation
from .selectors import AGENTS, GROUP_MEMBERS, ORGANISATIONS

User = get_user_model()


@receiver(post_save, sender=User, dispatch_uid="accounts.user_saved")
def user_saved(sender, update_fields=None, **kwargs):
    if update_fields is not None and set(update_fields) <= {"last_login", "password"}:
        return  # every login saves last_login: nothing the cached members show
    invalidate(GROUP_MEMBERS, AGENTS)


@receiver(post_delete, sender=User, dispatch_uid="accounts.user_deleted")
@receiver(post_save, sender=Group, dispatch_uid="accounts.group_saved")
@receiver(post_delete, sender=Group, dispatch_uid="accounts.group_deleted")
@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="accounts.user_groups_changed")
def members_changed(sender, **kwargs):
    invalidate(GROUP_MEMBERS, AGENTS)


@receiver(post_save, sender=Organisation, dispatch_uid="accounts.organisation_saved")
@receiver(post_delete, sender=Organisation, dispatch_uid="accounts.organisation_deleted")
def organisations_changed(sender, **kwargs):
    invalidate(ORGANISATIONS)
