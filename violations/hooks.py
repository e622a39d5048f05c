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


def _demo(stdout):
    from violations.demo import load

    load(stdout)
