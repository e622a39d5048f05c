"""The "I am not a robot" check on its own page: earns the session's rush pass (portal.antibot)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from portal import antibot, ratelimits


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return "/"
    return target


@login_required
def human_check(request):
    if request.method == "POST":
        if ratelimits.limited(request, "antibot.check"):
            return ratelimits.too_many(request)
        if antibot.check(request):
            messages.success(request, _("Thank you. You may go on."))
            return redirect(_next(request))
        messages.error(request, antibot.message())
    return render(request, "portal/human_check.html", {"next": _next(request)})
