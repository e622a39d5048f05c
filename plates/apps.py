from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlatesConfig(AppConfig):
    name = "plates"
    verbose_name = _("Plates")

    def ready(self):
        from notices import catalogue
        from plates import hooks
        from portal import hooks as portal_hooks

        catalogue.register(
            "plates.hold_confirmed",
            title=_("Number {number} is held for you"),
            body=_(
                "{number} is held for your vehicle {vehicle} until the end of {deadline}. Register the vehicle at the "
                "vehicle office by then, or the number lapses and online preselection is barred for {ban_years} years."
            ),
            mandatory=True,
        )
        catalogue.register(
            "plates.hold_expiring",
            title=_("Register {number} by {deadline}"),
            body=_(
                "Your preselected number {number} lapses at the end of {deadline} unless the vehicle is registered."
            ),
            mandatory=True,
            urgent=True,
        )
        catalogue.register(
            "plates.hold_lapsed",
            title=_("Number {number} has lapsed"),
            body=_(
                "{number} was not registered in time and has returned to the pool. Online preselection is barred "
                "for you up to and including {ban_until}."
            ),
            mandatory=True,
        )
        catalogue.register(
            "plates.hold_abandoned",
            title=_("You gave up number {number}"),
            body=_(
                "{number} has returned to the pool. Online preselection is barred for you up to and including "
                "{ban_until}."
            ),
            mandatory=True,
        )
        catalogue.register(
            "plates.ban_lifted",
            title=_("Your preselection ban has been lifted"),
            body=_("The vehicle office has lifted your ban: you may preselect plate numbers online again."),
            mandatory=True,
        )
        catalogue.register(
            "plates.hold_flagged",
            title=_("Number {number} needs your purchase invoice"),
            body=_(
                "Your selection of {number} was flagged for review. Upload the vehicle's purchase invoice on the "
                "voucher page by the end of {deadline}; the office checks it before registration, and the number "
                "does not lapse while the office reviews it."
            ),
            mandatory=True,
            urgent=True,
        )
        catalogue.register(
            "plates.invoice_refused",
            title=_("Upload the purchase invoice of {number} again"),
            body=_(
                "The vehicle office could not accept the invoice you uploaded for {number}. Upload the vehicle's "
                "purchase invoice on the voucher page by the end of {deadline}, or the number lapses."
            ),
            mandatory=True,
            urgent=True,
        )
        catalogue.register(
            "plates.block_announced",
            title=_("New number block {block} opens {opens}"),
            body=_("{size} numbers of {block} ({plate_type}) open for preselection at {opens}."),
            sms=False,
            push=False,
        )
        portal_hooks.register_service(
            "plates:start", _("Plate-number preselection"), _("Choose a number for your new car online"), order=10
        )
        portal_hooks.register_stats(hooks.stats)
        portal_hooks.register_deadlines(hooks.deadlines)
        portal_hooks.register_demo(hooks.demo)
