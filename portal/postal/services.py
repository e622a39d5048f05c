"""Postal mail-outs: every write of Shipment and ShipmentEvent rows happens here.

Other apps send things without portal importing them:

    # AppConfig.ready()
    from portal.postal.services import register_status_callback
    register_status_callback("certificates.mailout", on_status=certificates.services.mail_status_changed)

    # a service of the app
    shipment = create_shipment(city=..., purpose="certificates.mailout", reference=f"certificates.application:{pk}",
                               recipient_name=..., recipient_phone=..., address=..., contents="机动车行驶证",
                               cod_amount=Decimal("0"), take_back_old_document=True)

`on_status(shipment, old_status, new_status)` is called inside the transaction that records the
status change (once per change: a redelivered event changes nothing). If it raises, the event
is not stored and the webhook is answered with an error, so the carrier delivers it again.
"""

import dataclasses
import logging
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from portal import identity
from portal.models import Shipment, ShipmentEvent
from portal.postal import carriers

log = logging.getLogger(__name__)


class PostalError(Exception):
    """A request that cannot be done; the message is for the page."""


@dataclasses.dataclass(frozen=True)
class _Callback:
    purpose: str
    on_status: Callable


_CALLBACKS: dict[str, _Callback] = {}


def register_status_callback(purpose: str, on_status: Callable) -> None:
    _CALLBACKS[purpose] = _Callback(purpose, on_status)


def create_shipment(
    *,
    city,
    purpose: str,
    reference: str,
    recipient_name: str,
    recipient_phone: str,
    address: str,
    contents: str,
    cod_amount=Decimal("0"),
    take_back_old_document: bool = False,
    postcode: str = "",
) -> Shipment:
    """Book a mail-out with the carrier.

    Steps: validate the recipient (mainland mobile, non-empty name and address, COD >= 0);
    create the Shipment row; ask the carrier for a tracking number and store it. Raises
    PostalError with a message for the page.
    """
    try:
        phone = identity.validate_mobile(recipient_phone)
    except ValidationError as exc:
        raise PostalError(exc.messages[0]) from None
    if not (recipient_name or "").strip() or not (address or "").strip():
        raise PostalError(_("Enter the recipient's name and full address."))
    try:
        cod = Decimal(str(cod_amount)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise PostalError(_("The cash-on-delivery amount is not a valid number.")) from None
    if cod < 0:
        raise PostalError(_("The cash-on-delivery amount cannot be negative."))
    carrier = carriers.get_carrier()
    with transaction.atomic():
        shipment = Shipment.objects.create(
            city=city,
            purpose=purpose,
            reference=reference,
            recipient_name=recipient_name.strip(),
            recipient_phone=phone,
            address=address.strip(),
            postcode=postcode,
            contents=contents,
            cod_amount=cod,
            take_back_old_document=take_back_old_document,
            carrier=carrier.code,
        )
        # Tracking numbers are the carrier's; a clash with an old one means draw again.
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    shipment.tracking_number = carrier.create(shipment)
                    shipment.save(update_fields=["tracking_number", "updated_at"])
                break
            except IntegrityError:
                continue
        else:
            raise PostalError(_("The carrier could not book the shipment; please try again."))
    return shipment


def handle_webhook(body: bytes, signature: str, carrier=None) -> bool:
    """Process a carrier's tracking webhook. True means accepted (answer 200).

    Steps: verify the signature (a forged webhook changes nothing: False); for each event, in a
    transaction: lock the shipment, store the event unless its event id is known (a redelivered
    event changes nothing), and when the move is allowed update the status (and delivered_at)
    and call the purpose's status callback.
    """
    carrier = carrier or carriers.get_carrier()
    try:
        events = carrier.parse_webhook(body, signature)
    except carriers.InvalidWebhook as exc:
        log.warning("rejected carrier webhook: %s", exc)
        return False
    for event in events:
        try:
            _apply(event)
        except Exception:
            # A status callback failed: this event was not stored, so the carrier's retry of
            # the webhook brings it again (events already stored are recognised by their id).
            log.exception("applying carrier event %s failed", event.event_id)
            return False
    return True


def _apply(event: carriers.TrackingEvent) -> None:
    if event.status not in Shipment.Status.values:
        log.warning("carrier event with unknown status %r ignored", event.status)
        return
    with transaction.atomic():
        shipment = Shipment.objects.select_for_update().filter(tracking_number=event.tracking_number).first()
        if shipment is None:
            log.warning("carrier event for an unknown tracking number")
            return
        if ShipmentEvent.objects.filter(event_id=event.event_id).exists():
            return
        ShipmentEvent.objects.create(
            shipment=shipment,
            event_id=event.event_id,
            status=event.status,
            description=event.description[:200],
            location=event.location[:100],
            occurred_at=event.occurred_at,
        )
        old = shipment.status
        if event.status not in Shipment.TRANSITIONS[old]:
            return  # a late or out-of-order event: kept in the trail, status unchanged
        shipment.status = event.status
        if event.status == Shipment.Status.DELIVERED:
            shipment.delivered_at = event.occurred_at
        shipment._change_reason = f"carrier: {event.status}"
        shipment.save(update_fields=["status", "delivered_at", "updated_at"])
        callback = _CALLBACKS.get(shipment.purpose)
        if callback is not None:
            callback.on_status(shipment, old, event.status)


def advance_sandbox(shipment: Shipment, status: str, location: str = "", base_url: str = "") -> None:
    """Staff moves a sandbox shipment (page or command): the sandbox carrier posts the webhook."""
    carrier = carriers.get_carrier()
    if not isinstance(carrier, carriers.SandboxCarrier):
        raise PostalError(_("Only sandbox shipments can be moved by hand."))
    if status not in Shipment.Status.values:
        raise PostalError(_("Choose one of the listed shipment states."))
    if status not in Shipment.TRANSITIONS[shipment.status]:
        raise PostalError(
            _("A shipment that is %(old)s cannot become %(new)s.")
            % {"old": shipment.get_status_display(), "new": Shipment.Status(status).label}
        )
    carrier.advance(shipment, status, location or shipment.city.name, base_url)
    shipment.refresh_from_db()
