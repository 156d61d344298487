"""Makes the request known to the audit log's writers (audit.context) for the time of the request."""

from . import context


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = context.bind(request)
        try:
            return self.get_response(request)
        finally:
            context.unbind(token)
