"""The province's fee table with the national standard (docs/rules.md §4.4); the province
administrator edits it in the admin."""

from decimal import Decimal

from django.db import migrations

NATIONAL = [
    ("plates", Decimal("100.00"), "2004 national schedule: reflective car plates, per pair"),
    ("temporary_plate", Decimal("5.00"), "2004 national schedule"),
    ("vehicle_licence", Decimal("10.00"), "2004 national schedule"),
    ("registration_cert", Decimal("10.00"), "2004 national schedule"),
    ("inspection_mark", Decimal("0.00"), "inspection marks are free"),
    ("driving_licence", Decimal("10.00"), "2004 national schedule"),
    ("postage", Decimal("20.00"), "EMS document rate within the province (charged separately)"),
]


def seed(apps, schema_editor):
    Fee = apps.get_model("certificates", "Fee")
    for code, amount, note in NATIONAL:
        Fee.objects.get_or_create(code=code, defaults={"amount": amount, "note": note})


class Migration(migrations.Migration):
    dependencies = [("certificates", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
