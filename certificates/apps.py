from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = _("Certificates")

    def ready(self):
        from certificates import services
        from certificates.notice_kinds import register_all
        from portal import citysettings, hooks
        from portal.payments.services import register_purpose
        from portal.postal.services import register_status_callback

        register_all()
        citysettings.register(
            "certificate_pay_days",
            3,
            "Calendar days after the day of submission within which a case's fees must be paid, else it is cancelled",
            min_value=1,
        )
        hooks.register_service(
            "certificates:start",
            _("Certificates by post"),
            _("Replace or renew plates and licences, delivered by post"),
            order=30,
        )
        from django.db.models.signals import post_delete, post_save

        from certificates import selectors
        from certificates.models import Fee

        for signal in (post_save, post_delete):
            signal.connect(selectors._fees.clear_on_change, sender=Fee, dispatch_uid="certificates-fees-changed")
        register_purpose(services.PAYMENT_PURPOSE, on_paid=services.application_paid, label=_("Certificate fees"))
        register_status_callback(services.MAIL_PURPOSE, on_status=services.mail_status_changed)
        hooks.register_demo(_demo_loader)
        hooks.register_medical_provider(selectors.medicals_fit_since)
        # The registry sweeps' notices lead to the service that answers them; a case's notices
        # to the case.
        hooks.register_notice_link(
            "notices.inspection_claim_mark", _link("inspection-mark", _("Claim the mark online"))
        )
        hooks.register_notice_link("notices.licence_window", _link("licence-renewal", _("Renew your licence online")))
        hooks.register_notice_link("notices.licence_expired", _link("licence-renewal", _("Renew your licence online")))
        # The 70+ medical notices after a points cycle (docs/rules.md §6.2) lead to the
        # holder's certificates on file, where an uploaded one shows up.
        for kind in ("notices.medical_due", "notices.medical_overdue"):
            hooks.register_notice_link(kind, _page_link("certificates:my_medicals", _("My medical certificates")))
        from notices import catalogue

        for code in catalogue.all_kinds():
            if code.startswith("certificates.deferral_"):
                hooks.register_notice_link(code, _deferral_link)
            elif code.startswith("certificates."):
                hooks.register_notice_link(code, _case_link)


def _demo_loader(stdout):
    from certificates.demo import load

    load(stdout)


def _link(slug, label):
    def link(context):
        from django.urls import reverse

        return reverse("certificates:choose", args=[slug]), str(label)

    return link


def _page_link(url_name, label):
    def link(context):
        from django.urls import reverse

        return reverse(url_name), str(label)

    return link


def _case_link(context):
    from django.urls import reverse

    number = str(context.get("number", ""))
    if not number.isdigit():
        return None
    return reverse("certificates:case", args=[number]), str(_("Open the case"))


def _deferral_link(context):
    from django.urls import reverse

    return reverse("certificates:deferral"), str(_("My deferral requests"))
