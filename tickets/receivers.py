"""What the tickets app listens to: changes of the reference data it caches; connected in
TicketsConfig.ready()."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.cache import invalidate

from .models import Category
from .selectors import CATEGORIES


@receiver(post_save, sender=Category, dispatch_uid="tickets.category_saved")
@receiver(post_delete, sender=Category, dispatch_uid="tickets.category_deleted")
def categories_changed(sender, **kwargs):
    invalidate(CATEGORIES)
