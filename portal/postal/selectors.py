"""Reads of shipments for other apps."""

from portal.models import Shipment


def shipments_for(reference: str):
    return Shipment.objects.filter(reference=reference).order_by("-created_at")


def latest_shipment(reference: str) -> Shipment | None:
    return shipments_for(reference).first()


def tracking(shipment: Shipment):
    """The shipment's events, oldest first."""
    return list(shipment.events.all())
