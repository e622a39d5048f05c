"""Celery tasks of payments: thin wrappers around portal.payments.services."""

import logging

from celery import shared_task
from django.conf import settings

log = logging.getLogger(__name__)


@shared_task(name="portal.tasks.reconcile_payments", acks_late=True)
def reconcile_payments(older_than_minutes: int | None = None) -> int:
    """Beat entry "portal-reconcile-payments": ask the gateway about payments left pending."""
    from portal.payments import services

    return services.reconcile(older_than_minutes)


@shared_task(
    name="portal.payments.tasks.sandbox_notify", bind=True, acks_late=True, max_retries=8, default_retry_delay=30
)
def sandbox_notify(self, order_number: str) -> None:
    """The sandbox gateway's asynchronous notification of a trade's outcome.

    With eager Celery (tests, bench, no worker) it is handed to the same service the notify
    endpoint calls, in process; with a worker it is a real HTTP POST to the notify URL, retried
    until the portal answers "success" (as Alipay retries).
    """
    import httpx

    from portal.payments import services
    from portal.payments.gateways import SandboxGateway, loopback_target

    gateway = SandboxGateway()
    trade = gateway.trade(order_number)
    if trade is None:
        return
    fields = gateway.notification_for(order_number)
    if getattr(settings, "PAYMENT_SANDBOX_NOTIFY_IN_PROCESS", settings.CELERY_TASK_ALWAYS_EAGER):
        services.handle_notification(fields, gateway=gateway)
        return
    try:
        url, headers = loopback_target(trade["notify_url"])
        response = httpx.post(url, data=fields, headers=headers, timeout=10)
        delivered = response.status_code == 200 and response.text.strip() == "success"
    except httpx.HTTPError as exc:
        log.warning("sandbox payment notification for %s failed: %s", order_number, exc)
        delivered = False
    if not delivered:
        raise self.retry()
