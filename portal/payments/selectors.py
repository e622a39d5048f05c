"""Reads of payments for other apps (they never query portal.Payment themselves)."""

from portal.models import Payment


def payments_for(reference: str):
    """Every attempt for a reference, newest first."""
    return Payment.objects.filter(reference=reference).order_by("-created_at")


def paid_payment(reference: str) -> Payment | None:
    """The payment that settled a reference (the first paid attempt), or None."""
    return Payment.objects.filter(reference=reference, status__in=Payment.SETTLED).order_by("paid_at", "pk").first()


def is_paid(reference: str) -> bool:
    """Paid and not refunded in full (a partial refund leaves the item paid)."""
    return Payment.objects.filter(
        reference=reference, status__in=[Payment.Status.PAID, Payment.Status.PARTIALLY_REFUNDED]
    ).exists()


def open_payment(reference: str) -> Payment | None:
    """An attempt still waiting at the cashier (to send the payer back to it instead of a new one)."""
    return Payment.objects.filter(reference=reference, status__in=Payment.OPEN).order_by("-created_at").first()
