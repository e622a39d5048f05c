from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Platform")

    def ready(self):
        from portal import auth_backends, citysettings, workdays
        from portal.models import CitySetting, Holiday, User

        for signal in (post_save, post_delete):
            signal.connect(citysettings._changed, sender=CitySetting, dispatch_uid="citysettings-changed")
            signal.connect(auth_backends.forget_user, sender=User, dispatch_uid="auth-user-changed")
            signal.connect(workdays._changed, sender=Holiday, dispatch_uid="workdays-changed")
