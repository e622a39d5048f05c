"""{% selection_steps N %}: the preselection's five steps with step N marked, on every plate page.

The list depends only on the language and the step, so it is rendered once per process for each
pair rather than on every page (five translations and five conditions, about 500 Python calls of
each page's rendering: docs/benchmarks.md "Python per rush request"). It holds no per-user data.
An edit of plates/_steps.html shows after a restart, as Django's cached template loader does.
"""

import functools

from django import template
from django.template.loader import render_to_string
from django.utils.translation import get_language

register = template.Library()


@functools.lru_cache(maxsize=32)
def _steps(language: str, step: int) -> str:
    # The language is the cache key: render_to_string translates in the active one.
    return render_to_string("plates/_steps.html", {"step": step})


@register.simple_tag
def selection_steps(step: int) -> str:
    return _steps(get_language(), int(step))
