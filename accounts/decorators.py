from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404

from .roles import is_agent, is_manager, is_privacy_officer


def _role_required(check):
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                # A 404, not a 403: a requester does not even learn that the page exists.
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


agent_required = _role_required(is_agent)
manager_required = _role_required(is_manager)
privacy_officer_required = _role_required(is_privacy_officer)
