from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Article, ArticleRevision, ArticleVote, Deflection, TicketArticleLink


class ArticleRevisionInline(admin.TabularInline):
    model = ArticleRevision
    fields = ("number", "title", "author", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-number",)
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    """Writes go through kb.services (revision, search vector): the admin saves through them too."""

    list_display = ("title", "status", "audience", "category", "author", "updated_at", "view_count",
                    "helpful_count", "not_helpful_count")
    list_filter = ("status", "audience", "category")
    search_fields = ("title", "slug", "tags")
    list_select_related = ("category", "author")
    readonly_fields = ("slug", "status", "author", "source_ticket", "created_at", "updated_at", "published_at",
                       "view_count", "helpful_count", "not_helpful_count")
    fields = ("title", "body", "category", "tags", "audience", *readonly_fields)
    raw_id_fields = ("category",)
    inlines = [ArticleRevisionInline]
    date_hierarchy = "updated_at"
    actions = ["publish", "unpublish"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("search_vector")

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in ("title", "body", "audience", "category", "tags")}
        if change:
            saved = services.article_update(article=obj, editor=request.user, **data)
        else:
            saved = services.article_create(author=request.user, **data)
        obj.pk, obj.slug = saved.pk, saved.slug

    def save_related(self, request, form, formsets, change):
        pass  # Revisions are read-only and written by the service.

    @admin.action(description=_("Publish the selected articles"))
    def publish(self, request, queryset):
        for article in queryset:
            services.article_publish(article=article, actor=request.user)
        self.message_user(request, _("Articles published."), messages.SUCCESS)

    @admin.action(description=_("Unpublish the selected articles (back to draft)"))
    def unpublish(self, request, queryset):
        for article in queryset:
            services.article_unpublish(article=article, actor=request.user)
        self.message_user(request, _("Articles back to draft."), messages.SUCCESS)


@admin.register(ArticleRevision)
class ArticleRevisionAdmin(admin.ModelAdmin):
    list_display = ("article", "number", "title", "author", "created_at")
    search_fields = ("article__title", "title")
    list_select_related = ("article", "author")
    readonly_fields = ("article", "number", "title", "body", "author", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ArticleVote)
class ArticleVoteAdmin(admin.ModelAdmin):
    list_display = ("article", "user", "helpful", "updated_at")
    list_filter = ("helpful",)
    search_fields = ("article__title", "user__username")
    list_select_related = ("article", "user")

    def has_add_permission(self, request):
        return False  # Votes move the article's counters: only kb.services.article_vote writes them.

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(TicketArticleLink)
class TicketArticleLinkAdmin(admin.ModelAdmin):
    list_display = ("ticket", "article", "linked_by", "created_at")
    search_fields = ("ticket__reference", "article__title")
    list_select_related = ("ticket", "article", "linked_by")
    raw_id_fields = ("ticket", "article", "linked_by")


@admin.register(Deflection)
class DeflectionAdmin(admin.ModelAdmin):
    list_display = ("article", "user", "query", "created_at")
    search_fields = ("article__title", "query", "user__username")
    list_select_related = ("article", "user")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
