"""`{% fragment "name" key "reference.name" … %}…{% endfragment %}`: markup that depends only on reference data
(core.cache), on `key` and on the language, rendered once per process and version of that data
(core.cache.derived) instead of on every request. The queue's filter form, with its options for every agent,
category and organisation, cost more than its rows (bench/RESULTS.md, issue 16, session 7).

`key` must hold everything else the inside reads (the query string's values it shows, a flag); a key of None
renders the inside as usual, not kept. Never put a CSRF token, a user's own data or the time inside: the
markup is shared by every request of the process that has the same key.
"""

from __future__ import annotations

from django import template
from django.urls import get_script_prefix
from django.utils.safestring import mark_safe

from core.cache import derived

register = template.Library()


class FragmentNode(template.Node):
    def __init__(self, name: str, key: template.base.FilterExpression, names: tuple[str, ...], nodelist):
        self.name, self.key, self.names, self.nodelist = name, key, names, nodelist

    def render(self, context) -> str:
        key = self.key.resolve(context)
        if key is None:
            return self.nodelist.render(context)
        # {% url %} inside writes the script prefix (SCRIPT_NAME) of the request.
        return mark_safe(derived(self.names, (self.name, key, get_script_prefix()),  # noqa: S308 - the template's
                                 lambda: str(self.nodelist.render(context))))


def _literal(bit: str) -> str:
    if len(bit) < 2 or bit[0] != bit[-1] or bit[0] not in "\"'":
        raise template.TemplateSyntaxError(f"fragment: {bit} should be a quoted string")
    return bit[1:-1]


@register.tag
def fragment(parser, token):
    bits = token.split_contents()
    if len(bits) < 3:
        raise template.TemplateSyntaxError('{% fragment "name" key ["reference.name" …] %}')
    name = _literal(bits[1])
    key = parser.compile_filter(bits[2])
    names = tuple(_literal(bit) for bit in bits[3:])
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    return FragmentNode(name, key, names, nodelist)
