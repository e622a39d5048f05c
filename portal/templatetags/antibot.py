"""{% antibot %}: the ALTCHA widget and its no-JavaScript ticket, inside a rush form."""

import json

from django import template
from django.conf import settings
from django.utils.translation import get_language

from portal import antibot as service

register = template.Library()


@register.inclusion_tag("portal/_antibot.html", takes_context=True)
def antibot(context):
    request = context["request"]
    if not service.enabled() or not request.user.is_authenticated or service.has_pass(request):
        return {"needed": False}
    return {
        "needed": True,
        "lang": "en" if (get_language() or "").startswith("en") else "zh-cn",
        "challenge": json.dumps(service.challenge(request)),
        "ticket": service.ticket(request),
        "wait": settings.ANTIBOT_NOSCRIPT_WAIT_SECONDS,
        "field": service.FIELD,
        "ticket_field": service.TICKET_FIELD,
    }


@register.simple_tag(takes_context=True)
def antibot_needed(context) -> bool:
    """Whether the signed-in citizen still has to pass the check before a rush request."""
    request = context["request"]
    return service.enabled() and request.user.is_authenticated and not service.has_pass(request)
