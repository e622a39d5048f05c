from django.core.management.base import BaseCommand, CommandError

from portal.models import Shipment
from portal.postal import services


class Command(BaseCommand):
    help = "Move a sandbox shipment to accepted, in_transit, delivered, failed or returned (posts the signed webhook)."

    def add_arguments(self, parser):
        parser.add_argument("tracking_number")
        parser.add_argument("status", choices=[s for s in Shipment.Status.values if s != "created"])
        parser.add_argument("--location", default="")

    def handle(self, tracking_number, status, location, **options):
        shipment = Shipment.objects.filter(tracking_number=tracking_number.upper()).first()
        if shipment is None:
            raise CommandError("no shipment with that tracking number")
        try:
            services.advance_sandbox(shipment, status, location)
        except services.PostalError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{shipment.tracking_number}: event for {status} sent; status now {shipment.status}")
