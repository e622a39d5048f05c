from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Platform")

    def ready(self):
        from portal import auth_backends, checks, citysettings, hooks, middleware, workdays  # noqa: F401 (checks registers)
        from portal.models import City, CitySetting, Holiday, User

        # Unit accounts' demo (docs/rules.md §1.2) runs with the apps' loaders, after the platform's.
        hooks.register_demo(_units_demo)
        hooks.register_service(
            "portal:my_vehicles", _("Information query"), _("Your vehicles, licences and points"), order=60
        )

        # Per-process copies (portal.processcache) and the cached session user follow their rows.
        for signal in (post_save, post_delete):
            signal.connect(middleware._cities.clear_on_change, sender=City, dispatch_uid="cities-changed")
            signal.connect(middleware._cities_by_id.clear_on_change, sender=City, dispatch_uid="cities-by-id-changed")
            signal.connect(
                citysettings._overrides.clear_on_change, sender=CitySetting, dispatch_uid="citysettings-changed"
            )
            signal.connect(auth_backends.forget_user, sender=User, dispatch_uid="auth-user-changed")
            signal.connect(workdays._calendar.clear_on_change, sender=Holiday, dispatch_uid="workdays-changed")


def _units_demo(stdout):
    from portal.demo_units import load

    load(stdout)
