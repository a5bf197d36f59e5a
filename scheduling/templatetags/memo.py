"""`{% memo %}`: a rendered fragment remembered by everything it shows.

Pages repeat the same fragments for every load and many viewers: a student's navigation,
a slot's card in a week, a request's row. Rendering them is most of a page's cost (a
Django template costs microseconds per variable, filter and include). `{% memo %}` renders
its body once per distinct set of inputs in a process and serves the text after that::

    {% memo "slot-choice" slot.pk slot.starts_at slot.ends_at slot.seats_left ... %}
      ...
    {% endmemo %}

The key is the fragment's name, every value listed, and what every fragment depends on
without saying: the active language, the viewer's timezone and the URL prefix. Nothing is
ever invalidated because nothing can go stale: a changed seat count, title or status is a
new key, and the old text is simply not asked for again. So the list must name every value
the body reads; `tests/test_memo.py` renders each memoised page after changing each of its
inputs and compares it with a render without the memo.

CSRF: inside the body `csrf_token` is a placeholder, replaced on the way out by this
response's own token, so no token is shared between responses or viewers.
"""

from __future__ import annotations

import re

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.db.models import Model
from django.dispatch import receiver
from django.template.base import FilterExpression
from django.urls import get_script_prefix
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

register = template.Library()

_FRAGMENTS: dict[tuple, str] = {}
_MAX_FRAGMENTS = 5_000  # a few MB per process; full: start again (keys are never stale)
CSRF_PLACEHOLDER = "memo-csrf-placeholder-4b1f"


def clear() -> None:
    _FRAGMENTS.clear()


_MISSING = object()


class Lookup:
    """A dotted name (`slot.course.title`) read with plain attribute and key access.

    The key of every row is read on every render, so this skips the general template
    variable resolution (which tries item access first and catches the exception): a
    fifth of the cost. A missing attribute or key is None, as an empty value is in a
    template; callables are not called (a key names data, not methods).
    """

    def __init__(self, dotted: str):
        self.first, *self.rest = dotted.split(".")

    def resolve(self, context):
        value = context.get(self.first)
        for bit in self.rest:
            if value is None:
                return None
            found = getattr(value, bit, _MISSING)
            if found is _MISSING:
                try:
                    found = value[bit]
                except (TypeError, KeyError, IndexError, AttributeError):
                    return None
            value = found
        return value


DOTTED_NAME = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$")


class MemoNode(template.Node):
    def __init__(self, nodelist, name: str, vary_on: list[FilterExpression | Lookup]):
        self.nodelist = nodelist
        self.name = name
        self.vary_on = vary_on

    def render(self, context) -> str:
        token = context.get("csrf_token")
        if not getattr(settings, "FRAGMENT_MEMO", True) or token is None:
            return self.nodelist.render(context)
        values = [value.resolve(context) for value in self.vary_on]
        for value in values:
            if isinstance(value, Model) or callable(value):
                # A model instance equals any other with its pk, whatever its fields say.
                raise TypeError(f"{{% memo {self.name!r} %}}: key {value!r} is not plain data")
        key = (
            self.name,
            *values,
            translation.get_language(),
            timezone.get_current_timezone_name(),
            get_script_prefix(),
        )
        try:
            text = _FRAGMENTS.get(key)
        except TypeError:  # an unhashable value: render, do not remember
            return self.nodelist.render(context)
        if text is None:
            with context.push(csrf_token=CSRF_PLACEHOLDER):
                text = self.nodelist.render(context)
            if len(_FRAGMENTS) >= _MAX_FRAGMENTS:
                _FRAGMENTS.clear()
            _FRAGMENTS[key] = text
        if CSRF_PLACEHOLDER in text:
            text = text.replace(CSRF_PLACEHOLDER, str(token))
        return mark_safe(text)


@register.tag
def memo(parser, token):
    """{% memo "name" value value ... %} body {% endmemo %}"""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("{% memo %} needs a fragment name")
    name = bits[1].strip("\"'")
    vary_on = [
        Lookup(bit) if DOTTED_NAME.match(bit) else parser.compile_filter(bit) for bit in bits[2:]
    ]
    nodelist = parser.parse(("endmemo",))
    parser.delete_first_token()
    return MemoNode(nodelist, name, vary_on)


@receiver(setting_changed)
def _forget_on_setting_change(**kwargs) -> None:
    """Fragments may read settings (tests change them): start again."""
    clear()
