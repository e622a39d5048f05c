"""What violations registers with the platform at start-up: notice kinds, the payment purpose,
statistics, deadlines and demo data (called from ViolationsConfig.ready())."""

from django.utils.translation import gettext_lazy as _


def register():
    from notices import catalogue
    from portal import hooks as portal_hooks
    from portal.payments.services import register_purpose
    from violations.services.handling import fine_paid

    catalogue.register(
        "violations.recorded",
        title=_("New violation of {plate}: {facts}"),
        body=_(
            "{plate} was recorded at {time}, {place}: {facts}. Fine {fine} yuan, {points} points. "
            "Please handle it by {handle_by} (online if it qualifies, or at a counter)."
        ),
        mandatory=True,
    )
    catalogue.register(
        "violations.proposed_penalty",
        title=_("Notice of proposed penalty for {plate}"),
        body=_(
            "{plate} has {count} violations not handled within 30 days of entry (R-PROC art 54). The penalty "
            "will be decided; you may make a statement at the counter within 30 days."
        ),
        mandatory=True,
        urgent=True,
    )
    catalogue.register(
        "violations.decided",
        title=_("Penalty decision {number}"),
        body=_(
            "Decision {number} for {plate}: fine {fine} yuan, {points} points. Pay by {due_on}; after that a "
            "surcharge of 3 per cent of the fine a day applies."
        ),
        mandatory=True,
    )
    catalogue.register(
        "violations.paid",
        title=_("Fine of decision {number} paid"),
        body=_("We received {amount} yuan for decision {number} (late surcharge {surcharge} yuan)."),
    )
    catalogue.register(
        "violations.full_score",
        title=_("Your licence has reached 12 points"),
        body=_(
            "Your licence reached {points} points this cycle and is held. Attend full-score education and pass "
            "the test to have it back (R-PTS art 17)."
        ),
        mandatory=True,
        urgent=True,
    )
    catalogue.register(
        "violations.binding_requested",
        title=_("{driver} asks to register your vehicle {plate}"),
        body=_("{driver} ({relationship}) asks to register {plate}. Approve with an SMS code or refuse online."),
        mandatory=True,
    )
    catalogue.register(
        "violations.binding_approved",
        title=_("You may now handle records of {plate}"),
        body=_("The owner approved your registration of {plate}. Records after this moment are yours to see."),
    )
    catalogue.register(
        "violations.binding_refused",
        title=_("Registration of {plate} refused"),
        body=_("The owner of {plate} refused your registration."),
    )
    catalogue.register(
        "violations.binding_revoked",
        title=_("Registration of {plate} ended"),
        body=_("The registration of {plate} was ended."),
    )
    catalogue.register(
        "violations.watch_listed",
        title=_("Online violation handling stopped"),
        body=_("Online handling is stopped ({why}). Go to the traffic police counter with your ID card."),
        mandatory=True,
    )
    catalogue.register(
        "violations.objection_decided",
        title=_("Your objection to the record of {plate}: {outcome}"),
        body=_("Your objection to the record of {plate} at {time} was {outcome}. {note}"),
        mandatory=True,
    )
    _register_accidents(catalogue)
    register_purpose("violations.fine", on_paid=fine_paid, label=_("Traffic fine"))
    from violations import selectors

    portal_hooks.register_service(
        "violations:start",
        _("Violations and fines"),
        _("Handle minor camera-recorded violations and pay the fine"),
        order=40,
    )
    portal_hooks.register_deadlines(selectors.deadlines)
    portal_hooks.register_demo(_demo)
    # Unit accounts (docs/rules.md §1.2): a unit's dashboard and the clerks' key-vehicle list.
    portal_hooks.register_unhandled_violations(selectors.unsettled_counts)
    portal_hooks.register_point_records(selectors.licences_with_points)
    portal_hooks.register_unit_section(selectors.unit_violations_section)


def _accident_link(context):
    from django.urls import reverse

    case = str(context.get("case", ""))
    if not case.isdigit() or len(case) > 18:
        return None
    return reverse("violations:accident_case", args=[case]), str(_("Open the case"))


def _register_accidents(catalogue):
    """Accident quick settlement (docs/rules.md §5.7): its [LOCAL] periods and its notices."""
    from portal import citysettings
    from portal import hooks as portal_hooks

    citysettings.register(
        "accident_report_hours", 24, "Hours after an accident within which a case may be started online", min_value=1
    )
    citysettings.register(
        "accident_confirm_hours",
        24,
        "Hours the other party has to join and confirm an accident case before it lapses",
        min_value=1,
    )
    catalogue.register(
        "violations.accident_joined",
        title=_("The other driver ({plate}) confirmed the accident case"),
        body=_("The accident at {place} now needs both of you to agree on responsibility, or to ask the police."),
        mandatory=True,
    )
    catalogue.register(
        "violations.accident_proposed",
        title=_("A proposal of responsibility for the accident at {place}"),
        body=_("The other party proposed who is responsible. Agree, propose something else, or ask the police."),
        mandatory=True,
    )
    catalogue.register(
        "violations.accident_agreed",
        title=_("Accident agreement {number} made"),
        body=_("The self-negotiated agreement {number} for the accident at {place} is made; your insurer is told."),
        mandatory=True,
    )
    catalogue.register(
        "violations.accident_clerk_asked",
        title=_("The traffic police will decide the accident at {place}"),
        body=_("The traffic police decide responsibility by {decide_by}."),
        mandatory=True,
    )
    catalogue.register(
        "violations.accident_determined",
        title=_("Accident determination {number} issued"),
        body=_(
            "The traffic police decided responsibility for the accident at {place} ({number}); your insurer is told."
        ),
        mandatory=True,
    )
    for code in (
        "violations.accident_joined",
        "violations.accident_proposed",
        "violations.accident_agreed",
        "violations.accident_clerk_asked",
        "violations.accident_determined",
    ):
        portal_hooks.register_notice_link(code, _accident_link)
    catalogue.register(
        "violations.accident_lapsed",
        title=_("Accident case at {place} lapsed"),
        body=_("The other driver did not confirm in time. Start a new case or go to a traffic police counter."),
        mandatory=True,
    )


def _demo(stdout):
    from violations import demo_accident
    from violations.demo import load

    load(stdout)
    demo_accident.load(stdout)
