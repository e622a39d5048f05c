import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("open122")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# portal's shared services keep their tasks in sub-packages (the beat entry
# "portal.tasks.reconcile_payments" is defined in portal/payments/tasks.py under that name).
app.autodiscover_tasks(["portal.payments", "portal.postal"])


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(sender=None, **kwargs):
    """Around each task, what Django does around each request: close a connection that is older
    than CONN_MAX_AGE or was broken by an error (the next query opens a new one), keep the rest.
    Not for a task run eagerly, inside a request or a test's transaction."""
    if not getattr(sender.request, "is_eager", False):
        from django.db import close_old_connections

        close_old_connections()
