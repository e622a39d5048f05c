"""The notices of a case's steps (docs/rules.md §4.3): one kind per step."""

from django.utils.translation import gettext_lazy as _

from notices import catalogue


def register_all():
    catalogue.register(
        "certificates.submitted",
        title=_("Application {number} submitted"),
        body=_("Your application for {item} was submitted as case {number}. Pay the fees to start the review."),
        sms=False,
    )
    catalogue.register(
        "certificates.paid",
        title=_("Case {number}: payment received"),
        body=_("We received {amount} yuan for case {number} ({item})."),
        sms=False,
    )
    catalogue.register(
        "certificates.under_review",
        title=_("Case {number} is under review"),
        body=_("The office reviews case {number} ({item}); the legal time limit ends on {due_on}."),
        sms=False,
    )
    catalogue.register(
        "certificates.approved",
        title=_("Case {number} approved"),
        body=_("Case {number} ({item}) was approved and is in production."),
    )
    catalogue.register(
        "certificates.rejected",
        title=_("Case {number} rejected"),
        body=_("Case {number} ({item}) was rejected: {reason}. Fees paid online are refunded."),
        mandatory=True,
    )
    catalogue.register(
        "certificates.refunded",
        title=_("Case {number}: {amount} yuan refunded"),
        body=_("The fees of case {number} ({amount} yuan) were refunded to the account you paid from."),
        sms=False,
    )
    catalogue.register(
        "certificates.produced",
        title=_("Case {number}: document made"),
        body=_("The document of case {number} ({item}) is made; it will be posted or is ready to collect."),
        sms=False,
    )
    catalogue.register(
        "certificates.mailed",
        title=_("Case {number} mailed: {tracking}"),
        body=_("The document of case {number} ({item}) was posted, tracking number {tracking}."),
    )
    catalogue.register(
        "certificates.delivered",
        title=_("Case {number} delivered"),
        body=_("Shipment {tracking} of case {number} was delivered."),
        sms=False,
    )
    catalogue.register(
        "certificates.returned",
        title=_("Case {number}: the shipment came back"),
        body=_(
            "Shipment {tracking} of case {number} could not be delivered and went back to the office, which will "
            "contact you before posting it again."
        ),
        mandatory=True,
    )
    catalogue.register(
        "certificates.expired",
        title=_("Case {number} cancelled: not paid in time"),
        body=_(
            "Case {number} ({item}) was not paid within {days} days of submission and is cancelled. "
            "Apply again when you are ready to pay."
        ),
    )
    catalogue.register(
        "certificates.closed",
        title=_("Case {number} closed"),
        body=_("Case {number} ({item}) is complete."),
        sms=False,
    )
    # Deferral requests (docs/rules.md §4.7).
    catalogue.register(
        "certificates.deferral_submitted",
        title=_("Deferral request received: {subject}"),
        body=_("We received your request to defer {subject} until {until}. The issuing office reviews it."),
        sms=False,
    )
    catalogue.register(
        "certificates.deferral_approved",
        title=_("Deferral approved: {subject} until {until}"),
        body=_(
            "The office approved your request: {subject} is deferred until {until}. You may not drive while the "
            "deferral runs."
        ),
    )
    catalogue.register(
        "certificates.deferral_refused",
        title=_("Deferral refused: {subject}"),
        body=_("The office refused your request to defer {subject}: {reason}."),
        mandatory=True,
    )
