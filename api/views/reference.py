"""Who am I, the categories, the organisations, and the API's index."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Organisation
from accounts.people import chosen_language
from accounts.roles import is_agent, is_manager
from tickets.selectors import category_choices

from ..models import ApiToken
from ..serializers import CategorySerializer, MeSerializer, OrganisationSerializer


class IndexView(APIView):
    @extend_schema(summary="Index", responses=inline_serializer("Index", {"links": serializers.DictField()}))
    def get(self, request):
        """Where each resource is, and where the schema and its docs are."""
        names = ["me", "tickets", "categories", "organisations", "articles", "dashboard", "schema", "docs"]
        return Response({"links": {name: request.build_absolute_uri(reverse(f"api:{name}")) for name in names}})


class MeView(APIView):
    @extend_schema(summary="Who am I", responses=MeSerializer)
    def get(self, request):
        """The person the token or session acts as, their role and the token's scope."""
        user, token = request.user, request.auth if isinstance(request.auth, ApiToken) else None
        return Response(MeSerializer({
            "username": user.get_username(), "name": user.get_full_name() or user.get_username(),
            "is_agent": is_agent(user), "is_manager": is_manager(user),
            "token": token.name if token else None, "scope": token.scope if token else "write",
            "language": chosen_language(user),
        }).data)


class CategoryListView(APIView):
    @extend_schema(summary="List categories", responses=CategorySerializer(many=True))
    def get(self, request):
        """The active categories (a tree: `parent` is a category id), for creating and filtering tickets."""
        return Response(CategorySerializer(category_choices().order_by("parent_id", "name"), many=True).data)


class OrganisationListView(APIView):
    @extend_schema(summary="List organisations", responses=OrganisationSerializer(many=True))
    def get(self, request):
        """Agents: every organisation. Requesters: their own, if any."""
        organisations = Organisation.objects.order_by("name")
        if not is_agent(request.user):
            organisations = organisations.filter(members__user=request.user)
        return Response(OrganisationSerializer(organisations, many=True).data)
