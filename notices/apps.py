from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "notices"
    verbose_name = _("Notices")

    def ready(self):
        from notices import own_kinds, selectors
        from portal import citysettings, hooks

        own_kinds.register_all()
        hooks.register_service(
            "notices:inbox", _("Notices"), _("Your reminders: inspection, licence, violations"), order=50
        )
        hooks.register_service(
            "notices:announcements",
            _("Public announcements"),
            _("Number blocks, exam plans and notices of this city"),
            order=70,
        )
        hooks.register_service(
            "notices:travel",
            _("Travel information"),
            _("Traffic controls, road works and closures, in force and coming"),
            order=80,
        )
        citysettings.register(
            "notice_scrap_void_days",
            30,
            "Days after the compulsory-scrapping date before an underegistered vehicle's plates and documents are announced void",
        )
        citysettings.register(
            "notice_answer_working_days", 5, "Working days within which a citizen's question counts as answered on time"
        )
        hooks.register_deadlines(selectors.registry_deadlines)
        hooks.register_deadlines(selectors.travel_deadlines)
        hooks.register_notice_link(own_kinds.TRAVEL_PUBLISHED, _travel_link)
        hooks.register_notice_link(own_kinds.TRAVEL_CHANGED, _travel_link)
        hooks.register_notice_link(own_kinds.UNIT_MONTHLY, _unit_link)
        hooks.register_stats(selectors.public_stats)
        hooks.register_demo(_demo)


def _demo(stdout):
    from notices.demo import load

    load(stdout)


def _travel_link(context):
    from django.urls import reverse

    return reverse("notices:travel"), str(_("Travel information"))


def _unit_link(context):
    from django.urls import reverse

    return reverse("portal:unit"), str(_("Open the unit's page"))
