from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExamsConfig(AppConfig):
    name = "exams"
    verbose_name = _("Exams")

    def ready(self):
        from notices import catalogue
        from portal import citysettings, hooks

        hooks.register_service(
            "exams:plans", _("Driving-exam booking"), _("Request a seat in a published exam plan"), order=20
        )
        hooks.register_service(
            "inspection:start",
            _("Vehicle inspection booking"),
            _("Book an on-site inspection slot for your car"),
            order=25,
        )

        citysettings.register(
            "exam_priority_months_left",
            6,
            "Months of learner-permit validity left below which one priority booking per subject applies",
            min_value=1,
        )
        citysettings.register(
            "exam_fee_pay_hours",
            24,
            "Hours after a seat is allocated within which its exam fee must be paid, else the seat is freed",
            min_value=1,
        )
        from exams.services import fees
        from portal.payments.services import register_purpose

        register_purpose(fees.PURPOSE, on_paid=fees.fee_paid, label=_("Driving-exam fee"))
        catalogue.register(
            "exams.request_accepted",
            title=_("Exam request {number} received"),
            body=_(
                "Your request for {subject} on {date} {session} at {site} is being processed; seats are allocated by rank when the booking window closes."
            ),
        )
        catalogue.register(
            "exams.allocated",
            title=_("Exam seat confirmed: {subject} on {date}"),
            body=_(
                "You have a seat for {subject} on {date}, session {session}, at {site} ({address}). Request {number}. Bring your ID card."
            ),
            mandatory=True,
            urgent=True,
        )
        catalogue.register(
            "exams.not_allocated",
            title=_("No exam seat this time: {subject} on {date}"),
            body=_(
                "Request {number} ranked {rank} and the session at {site} was full. No attempt and no fee were used; you may request another session."
            ),
            mandatory=True,
        )
        catalogue.register(
            "exams.seat_offered",
            title=_("A seat was freed: {subject} on {date}"),
            body=_(
                "A seat at {site} on {date} {session} is offered to you. Accept it online before {deadline}, otherwise it passes to the next candidate."
            ),
            mandatory=True,
            urgent=True,
        )
        catalogue.register(
            "exams.cancelled",
            title=_("Exam booking {number} cancelled"),
            body=_(
                "Your booking for {subject} on {date} at {site} was cancelled at the counter. The cancellation lowers your rank in the next draw."
            ),
            mandatory=True,
        )
        catalogue.register(
            "exams.result",
            title=_("Exam result: {subject} on {date}"),
            body=_("Your result for {subject} on {date} at {site}: {outcome}."),
            mandatory=True,
        )
        catalogue.register(
            "exams.passes_voided",
            title=_("Your passed exam subjects are void"),
            body=_(
                "Booking {bookings} of {subject}, the last one the permit allows, was not passed, so your other passed subjects are void (R-DL art 47). Please apply again."
            ),
            mandatory=True,
            urgent=True,
        )
        catalogue.register(
            "exams.fee_due",
            title=_("Pay the exam fee: {subject} on {date}"),
            body=_(
                "Pay the fee of {fee} yuan for booking {number} ({subject} on {date} {session} at {site}) online before {deadline}; otherwise the seat is freed and offered to the next candidate."
            ),
            mandatory=True,
            urgent=True,
        )
        catalogue.register(
            "exams.fee_unpaid",
            title=_("Exam seat freed: fee not paid"),
            body=_(
                "The fee of {fee} yuan for booking {number} ({subject} on {date} at {site}) was not paid in time, so the seat was freed. Letting a seat go ranks you later in the next draw."
            ),
            mandatory=True,
        )
        catalogue.register(
            "exams.plan_cancelled",
            title=_("Exam session cancelled: {subject} on {date}"),
            body=_(
                "The vehicle administration office cancelled the session {date} {session} at {site}. Request {number} is cancelled; a paid fee is refunded in full and your rank is not affected. Please request another session."
            ),
            mandatory=True,
            urgent=True,
        )
        catalogue.register(
            "exams.plan_published",
            title=_("Exam plan published: {subject} on {date}"),
            body=_(
                "{site}, {date} {session}: {capacity} seats. Requests are taken until the window closes on {closes_on}. Draw seed commitment (SHA-256 of the seed, which is revealed when the window closes): {commitment}."
            ),
            sms=False,
            push=False,
        )

        from exams import inspection_kinds, selectors

        inspection_kinds.register()
        hooks.register_stats(selectors.stats_sections)
        hooks.register_deadlines(selectors.deadlines)
        # A driving school's dashboard (unit accounts, docs/rules.md §1.2).
        hooks.register_unit_section(selectors.school_section)
        hooks.register_deadlines(selectors.inspection_deadlines)
        hooks.register_demo(selectors_demo_loader)


def selectors_demo_loader(stdout):
    from exams.demo import load

    load(stdout)
