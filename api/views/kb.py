"""Knowledge-base articles: search and read as the person may (kb.selectors); write for agents
through kb.services."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from kb import selectors as kb_selectors
from kb import services as kb_services
from kb.forms import ArticleEditForm, ArticleForm

from ..permissions import IsAgent
from ..serializers import ArticleDetailSerializer, ArticleInput, SearchHitSerializer
from .common import form_data, invalid, page_size
from .tickets import PROBLEM


def _category_id(request) -> int | None:
    value = request.query_params.get("category")
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise exceptions.ValidationError({"category": ["A category id."]}) from None


class ArticleListView(APIView):
    def get_permissions(self):
        extra = [IsAgent()] if self.request.method == "POST" else []
        return [*super().get_permissions(), *extra]

    @extend_schema(summary="Search or list articles", parameters=[
        OpenApiParameter("q", str, description="Words to search (full text); without it, the latest articles."),
        OpenApiParameter("category", int), OpenApiParameter("limit", int)],
        responses=SearchHitSerializer(many=True))
    def get(self, request):
        """Requesters see public published articles; agents every article, drafts and internal ones too."""
        query, category_id, limit = request.query_params.get("q", "").strip(), _category_id(request), page_size(request)
        if query:
            hits = kb_selectors.article_search(user=request.user, query=query, limit=limit, category_id=category_id)
            rows = [{"article": hit.article, "snippet": str(hit.snippet)} for hit in hits]
        else:
            articles = kb_selectors.articles_for_browse(user=request.user, category_id=category_id)[:limit]
            rows = [{"article": article, "snippet": ""} for article in articles]
        return Response(SearchHitSerializer(rows, many=True).data)

    @extend_schema(summary="Write an article (agents)", request=ArticleInput,
                   responses={201: ArticleDetailSerializer, 400: PROBLEM, 404: PROBLEM})
    def post(self, request):
        """A draft; publish it with `…/publish/`."""
        form = ArticleForm(form_data(request))
        if not form.is_valid():
            raise invalid(form)
        data = form.cleaned_data
        article = kb_services.article_create(author=request.user, title=data["title"], body=data["body"],
                                             audience=data["audience"], category=data["category"], tags=data["tags"])
        return Response(ArticleDetailSerializer(article).data, status=status.HTTP_201_CREATED)


class ArticleDetailView(APIView):
    def get_permissions(self):
        extra = [IsAgent()] if self.request.method != "GET" else []
        return [*super().get_permissions(), *extra]

    @extend_schema(summary="Read an article", responses={200: ArticleDetailSerializer, 404: PROBLEM})
    def get(self, request, slug: str):
        """The article's Markdown; a 404 for what the person may not read (a draft, an internal one)."""
        return Response(ArticleDetailSerializer(kb_selectors.get_article_for(request.user, slug)).data)

    @extend_schema(summary="Edit an article (agents)", request=ArticleInput,
                   responses={200: ArticleDetailSerializer, 400: PROBLEM, 404: PROBLEM, 412: PROBLEM})
    def put(self, request, slug: str):
        """Send `revision` (the revision you edited) to be refused with a 412 over someone else's newer one."""
        article = kb_selectors.get_article_for(request.user, slug)
        current = kb_selectors.article_revision_number(article=article)
        form = ArticleEditForm(form_data(request, revision=current))
        if not form.is_valid():
            raise invalid(form)
        data = form.cleaned_data
        expected = data["revision"] if "revision" in request.data else None
        article = kb_services.article_update(article=article, editor=request.user, title=data["title"],
                                             body=data["body"], audience=data["audience"], category=data["category"],
                                             tags=data["tags"], expected_revision=expected)
        return Response(ArticleDetailSerializer(article).data)


class ArticleMoveView(APIView):
    move = "publish"

    def get_permissions(self):
        return [*super().get_permissions(), IsAgent()]

    @extend_schema(request=None, responses={200: ArticleDetailSerializer, 404: PROBLEM, 409: PROBLEM})
    def post(self, request, slug: str):
        article = kb_selectors.get_article_for(request.user, slug)
        service = kb_services.article_publish if self.move == "publish" else kb_services.article_unpublish
        try:
            article = service(article=article, actor=request.user)
        except PermissionDenied:
            raise Http404 from None
        return Response(ArticleDetailSerializer(article).data)
