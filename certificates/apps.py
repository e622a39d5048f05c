from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = _("Certificates")

    def ready(self):
        from certificates import services
        from certificates.notice_kinds import register_all
        from portal import hooks
        from portal.payments.services import register_purpose
        from portal.postal.services import register_status_callback

        register_all()
        register_purpose(services.PAYMENT_PURPOSE, on_paid=services.application_paid, label=_("Certificate fees"))
        register_status_callback(services.MAIL_PURPOSE, on_status=services.mail_status_changed)
        hooks.register_demo(_demo_loader)


def _demo_loader(stdout):
    from certificates.demo import load

    load(stdout)
