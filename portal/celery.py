import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("open122")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# portal's shared services keep their tasks in sub-packages (the beat entry
# "portal.tasks.reconcile_payments" is defined in portal/payments/tasks.py under that name).
app.autodiscover_tasks(["portal.payments", "portal.postal"])
