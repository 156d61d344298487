from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from .models import FloorRow


@require_POST
def insert(request):
    row = FloorRow.objects.create(title=request.POST.get("title", "")[:200], body=request.POST.get("body", ""),
                                  status="new", created_at=timezone.now())
    return HttpResponse(str(row.pk), status=201)


@require_GET
def rows(request):
    return render(request, "floor/rows.html", {"rows": FloorRow.objects.order_by("-created_at")[:25]})
