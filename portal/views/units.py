"""A unit's dashboard (重点对象管理, docs/rules.md §1.2): its vehicles' inspection dates and
unhandled violations, its drivers' licence status and points, what is overdue, and what service
apps add through portal.hooks (a driving school's students' exams); its administrators manage
staff logins. Everything is read from the signed-in account's own unit: no unit id in any URL."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal import hooks, unit_services, units
from portal.decorators import city_required
from portal.forms import UnitStaffForm


def _membership(request):
    member = units.membership_of(request.user)
    if member is None:
        raise Http404(_("This account is not a unit's staff."))
    return member


@city_required
@login_required
def unit_dashboard(request):
    member = _membership(request)
    unit, today = member.unit, timezone.localdate()
    vehicles = units.vehicle_rows(units.unit_vehicles(unit), today)
    licences = units.licence_rows(units.unit_licences(unit), today)
    sections = hooks.unit_sections(unit, [r["vehicle"] for r in vehicles], [r["licence"] for r in licences])
    return render(
        request,
        "portal/unit.html",
        {
            "member": member,
            "unit": unit,
            "vehicles": vehicles,
            "licences": licences,
            "overdue": units.overdue_items(vehicles, licences),
            "sections": sections,
            "staff": unit.members.select_related("user") if member.is_admin else [],
            "form": UnitStaffForm() if member.is_admin else None,
            "today": today,
        },
    )


@city_required
@login_required
@require_POST
def unit_staff_add(request):
    member = _membership(request)
    form = UnitStaffForm(request.POST)
    if form.is_valid():
        try:
            unit_services.unit_staff_add(
                by=request.user,
                mobile=form.cleaned_data["mobile"],
                real_name=form.cleaned_data["real_name"],
                is_admin=form.cleaned_data["is_admin"],
            )
        except unit_services.UnitError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The staff login was added to %(unit)s.") % {"unit": member.unit.name})
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("portal:unit")


@city_required
@login_required
@require_POST
def unit_staff_remove(request, pk):
    _membership(request)
    try:
        removed = unit_services.unit_staff_remove(by=request.user, member_id=pk)
    except unit_services.UnitError:
        removed = False
    if not removed:
        raise Http404
    messages.success(request, _("The staff login was removed."))
    return redirect("portal:unit")
