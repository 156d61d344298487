"""`{% once_per a b.c … %}…{% endonce %}`: markup that depends only on the variables named renders once per
their values and is then copied, instead of being rendered anew by every page (base.html's navigation: its
`{% url %}`, `{% icon %}` and `{% translate %}` are the same for every agent of a level).

What else the block's output depends on is part of the key as well: the active language, the URL prefix
(SCRIPT_NAME) and URL conf of the request, autoescaping and localization. The rest is refused when the
template is compiled, so a variable added inside a block cannot go stale: inside, a variable must be one the
tag names (filters and literals are free), and only tags that read nothing but their arguments are allowed
(text, `{{ }}`, `{% if %}`, `{% for %}` over a key, `{% url %}`, `{% translate %}` and `{% static %}` without
`as`, comments, and the simple tags of ALLOWED_SIMPLE_TAGS, such as `{% icon %}`). `{% csrf_token %}`, the
user's name, the request's path stay outside the blocks.

A key's value must be plain (text, numbers, booleans, None, lazy translations, lists and tuples of them):
with any other value (a model instance, whose fields could change behind the same key) the block is rendered
every time.

The copies live on the compiled template's node (so per process, per template load) and are forgotten when
settings change (tests), or when a node holds more than MAX_COPIES (values no one expected).
"""

from __future__ import annotations

from django import template
from django.core.signals import setting_changed
from django.template.base import FilterExpression, Node, NodeList, TextNode, Variable, VariableNode
from django.template.defaulttags import CommentNode, ForNode, IfNode, URLNode
from django.template.library import SimpleNode
from django.template.smartif import TokenBase
from django.templatetags.i18n import TranslateNode
from django.templatetags.static import StaticNode
from django.urls import get_script_prefix, get_urlconf
from django.utils.functional import Promise
from django.utils.translation import get_language

from .icons import icon

register = template.Library()

MAX_COPIES = 512
# False renders every block every time (the tests compare both ways).
ENABLED = True
ALLOWED_NODES = (TextNode, VariableNode, IfNode, ForNode, URLNode, TranslateNode, StaticNode, CommentNode,
                 SimpleNode)
# The values a key may have: what cannot change behind the same value (a model instance could).
PLAIN = (str, int, float, bool, type(None), Promise)
# Simple tags whose output depends on their arguments only.
ALLOWED_SIMPLE_TAGS = frozenset({icon})
# Renewed when settings change: a block whose copies are of an older generation forgets them.
_generation = 0


class OncePerNode(Node):
    # Not searched by get_nodes_by_type: {% extends %} looks for the parent's blocks through every node of
    # base.html on each rendering, and a {% block %} cannot be inside (see _check).
    child_nodelists = ()

    def __init__(self, keys: list[FilterExpression], nodelist: NodeList):
        self.keys = keys
        self.nodelist = nodelist
        self.copies: dict[tuple, str] = {}
        self.generation = _generation

    def render(self, context):
        if not ENABLED:
            return self.nodelist.render(context)
        if self.generation != _generation:
            self.copies, self.generation = {}, _generation
        try:
            values = tuple(_plain(key.resolve(context)) for key in self.keys)
        except TypeError:  # a value that cannot be a key: rendered every time
            return self.nodelist.render(context)
        key = (get_language(), get_script_prefix(), get_urlconf(), context.autoescape, context.use_l10n,
               context.use_tz, values)
        output = self.copies.get(key)
        if output is not None:
            return output
        output = self.nodelist.render(context)
        if len(self.copies) >= MAX_COPIES:
            self.copies.clear()
        self.copies[key] = output
        return output


def _plain(value):
    """The value as a key: plain values, and lists and tuples of them; TypeError for anything else."""
    if isinstance(value, PLAIN):
        hash(value)
        return value
    if isinstance(value, list | tuple):
        return tuple(_plain(item) for item in value)
    raise TypeError(type(value))


def _check(obj, names: set[str], tag: str) -> None:
    """Refuse what a block's output could depend on beside its keys (see the module's docstring)."""
    if isinstance(obj, ForNode):  # over a key: its loop variables are keys inside the loop (not forloop)
        _check(obj.sequence, names, tag)
        _check(obj.nodelist_loop, names | set(obj.loopvars), tag)
        _check(obj.nodelist_empty, names, tag)
    elif isinstance(obj, NodeList):
        for node in obj:
            _check(node, names, tag)
    elif isinstance(obj, Node):
        if not isinstance(obj, ALLOWED_NODES) or type(obj) is OncePerNode:
            raise template.TemplateSyntaxError(f"{{% {tag} %}} cannot hold {obj.token.contents!r}")
        if isinstance(obj, SimpleNode) and (obj.func not in ALLOWED_SIMPLE_TAGS or obj.takes_context
                                            or obj.target_var is not None):
            raise template.TemplateSyntaxError(f"{{% {tag} %}} cannot hold {obj.token.contents!r}")
        if getattr(obj, "asvar", None) or getattr(obj, "varname", None):
            raise template.TemplateSyntaxError(f"{{% {tag} %}} cannot hold a tag that sets a variable")
        for value in vars(obj).values():
            _check(value, names, tag)
    elif isinstance(obj, TokenBase):  # an {% if %} condition
        for value in vars(obj).values():
            _check(value, names, tag)
    elif isinstance(obj, FilterExpression):
        _check(obj.var, names, tag)
        for _filter, args in obj.filters:
            for _lookup, arg in args:
                _check(arg, names, tag)
    elif isinstance(obj, Variable):
        if obj.lookups is not None and obj.var not in names:
            raise template.TemplateSyntaxError(
                f"{{% {tag} %}} block uses {obj.var!r}, which is not one of its keys ({', '.join(sorted(names))})")
    elif isinstance(obj, list | tuple):
        for item in obj:
            _check(item, names, tag)
    elif isinstance(obj, dict):
        for item in obj.values():
            _check(item, names, tag)


@register.tag
def once_per(parser, token):
    bits = token.split_contents()
    keys = [parser.compile_filter(bit) for bit in bits[1:]]
    for key in keys:
        if not isinstance(key.var, Variable) or key.var.lookups is None or key.filters:
            raise template.TemplateSyntaxError(f"{{% {bits[0]} %}} takes variables, not {key.token!r}")
    nodelist = parser.parse(("endonce",))
    parser.delete_first_token()
    _check(nodelist, {key.var.var for key in keys}, bits[0])
    return OncePerNode(keys, nodelist)


def _forget(**kwargs) -> None:
    global _generation  # noqa: PLW0603 - every block's copies are forgotten at their next rendering
    _generation += 1


setting_changed.connect(_forget)
