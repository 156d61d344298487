"""Django's template backend, whose rendering leaves no reference cycle behind (issue 16, session 11).

Each `context.push()` (`{% with %}`, `{% for %}`, an inclusion tag, `{% include %}`…) adds a ContextDict that points
back at its context, and the context's list of dicts points at the ContextDict: a cycle, which reference counting
cannot free. Everything the page's context reached (the queue's 25 tickets, their requesters, categories,
organisations and clocks, about 400 objects a page) then waited for the garbage collector, whose young generation,
collected every 50,000 objects kept (gunicorn.conf.py), took 50 ms each time: the queue's p99 over HTTP, and about
0.75 ms per page on average. Once the template is written, this backend empties the context's lists of dicts, which
breaks the cycles: the page's objects are freed as soon as the response is.

The test client's copies of the context (`response.context`, taken while rendering) keep their own lists.
"""

from __future__ import annotations

from django.template.backends.django import DjangoTemplates as DjangoBackend
from django.template.backends.django import Template as DjangoTemplate
from django.template.backends.django import reraise
from django.template.context import make_context
from django.template.exceptions import TemplateDoesNotExist


class Template(DjangoTemplate):
    def render(self, context=None, request=None):
        context = make_context(context, request, autoescape=self.backend.engine.autoescape)
        try:
            return self.template.render(context)
        except TemplateDoesNotExist as exc:
            reraise(exc, self.backend)
        finally:
            context.dicts.clear()
            context.render_context.dicts.clear()


class DjangoTemplates(DjangoBackend):
    """settings.TEMPLATES' BACKEND: Django's, its templates rendered by `Template` above."""

    def from_string(self, template_code):
        return Template(self.engine.from_string(template_code), self)

    def get_template(self, template_name):
        try:
            return Template(self.engine.get_template(template_name), self)
        except TemplateDoesNotExist as exc:
            reraise(exc, self)
