"""The notices and per-city settings of inspection booking (docs/rules.md §6.4), registered from
exams' AppConfig.ready()."""

from django.utils.translation import gettext_lazy as _


def _start_link(context):
    from django.urls import reverse

    return reverse("inspection:start"), str(_("Book an inspection"))


def _booking_link(context):
    from django.urls import reverse

    number = str(context.get("number", ""))
    if not (number.startswith("J") and number[1:].isdigit()):
        return None
    return reverse("inspection:booking", args=[int(number[1:])]), str(_("Open the booking"))


def register():
    from notices import catalogue
    from portal import citysettings, hooks

    citysettings.register(
        "inspection_change_hours_before",
        2,
        "Hours before an inspection slot starts after which its booking can no longer be moved or cancelled online",
        min_value=0,
    )
    catalogue.register(
        "exams.inspection_booked",
        title=_("Inspection booked: {plate} on {date}"),
        body=_(
            "Booking {number}: {plate} at {station} ({address}) on {date}, {session}. Bring the vehicle licence "
            "(行驶证) and the compulsory insurance certificate."
        ),
        mandatory=True,
    )
    catalogue.register(
        "exams.inspection_moved",
        title=_("Inspection moved: {plate} on {date}"),
        body=_(
            "Booking {number} of {plate} was moved from {old_date} {old_session} to {date} {session} at {station} "
            "({address})."
        ),
        mandatory=True,
    )
    catalogue.register(
        "exams.inspection_cancelled",
        title=_("Inspection booking {number} cancelled"),
        body=_("The inspection of {plate} on {date} {session} at {station} is cancelled; the slot was freed."),
        mandatory=True,
    )
    catalogue.register(
        "exams.inspection_passed",
        title=_("{plate} passed its inspection"),
        body=_(
            "{plate} passed the inspection at {station} on {date}. The inspection is now valid until {valid_until}; "
            "the electronic inspection mark has equal force."
        ),
        mandatory=True,
    )
    catalogue.register(
        "exams.inspection_passed_mark_pending",
        title=_("{plate} passed: settle its violations to get the mark"),
        body=_(
            "{plate} passed the inspection at {station} on {date}, but it has violations that are not settled. "
            "The inspection mark (valid until {valid_until}) is issued once they are settled (R-REG art 54)."
        ),
        mandatory=True,
        urgent=True,
    )
    catalogue.register(
        "exams.inspection_failed",
        title=_("{plate} did not pass its inspection"),
        body=_(
            "{plate} did not pass the inspection at {station} on {date} ({note}). Have it repaired and book a "
            "re-inspection; the old validity is unchanged."
        ),
        mandatory=True,
        urgent=True,
    )
    # The sweep's reminders of an on-site inspection lead to booking; a booking's notices to it.
    for code in ("notices.inspection_window", "notices.inspection_30d", "notices.inspection_7d"):
        hooks.register_notice_link(code, _start_link)
    hooks.register_notice_link("notices.inspection_overdue", _start_link)
    for code in catalogue.all_kinds():
        if code.startswith("exams.inspection_"):
            hooks.register_notice_link(code, _booking_link)
