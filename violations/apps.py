from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ViolationsConfig(AppConfig):
    name = "violations"
    verbose_name = _("Violations")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from violations import hooks, selectors
        from violations.models import ViolationCode

        hooks.register()
        # The per-process copy of the catalogue (violations.selectors.code_by_id) follows its rows.
        for signal in (post_save, post_delete):
            signal.connect(
                selectors._codes.clear_on_change, sender=ViolationCode, dispatch_uid="violation-codes-changed"
            )
