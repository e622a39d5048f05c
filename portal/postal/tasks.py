"""Celery tasks of the postal carrier: thin wrappers around portal.postal.services."""

import logging

from celery import shared_task
from django.conf import settings

log = logging.getLogger(__name__)


@shared_task(
    name="portal.postal.tasks.sandbox_webhook", bind=True, acks_late=True, max_retries=8, default_retry_delay=30
)
def sandbox_webhook(self, body: str, city_code: str, base_url: str = "") -> None:
    """The sandbox carrier's webhook call: in process with eager Celery (tests, bench, no worker),
    else an HTTP POST to the city site's /postal/webhook/, retried until it is accepted."""
    import httpx
    from django.urls import reverse

    from portal.context_processors import city_url
    from portal.models import City
    from portal.payments.gateways import loopback_target
    from portal.postal import services
    from portal.postal.carriers import SIGNATURE_HEADER, SandboxCarrier, body_signature

    carrier = SandboxCarrier()
    raw = body.encode()
    signature = body_signature(raw, carrier.secret)
    if getattr(settings, "POSTAL_SANDBOX_WEBHOOK_IN_PROCESS", settings.CELERY_TASK_ALWAYS_EAGER):
        services.handle_webhook(raw, signature, carrier=carrier)
        return
    base = (base_url or city_url(City.objects.get(code=city_code))).rstrip("/")
    try:
        url, headers = loopback_target(base + reverse("postal:webhook"))
        response = httpx.post(
            url,
            content=raw,
            headers={**headers, "Content-Type": "application/json", SIGNATURE_HEADER: signature},
            timeout=10,
        )
        delivered = response.status_code == 200
    except httpx.HTTPError as exc:
        log.warning("sandbox carrier webhook failed: %s", exc)
        delivered = False
    if not delivered:
        raise self.retry()
