from django.db import migrations


def seed(apps, schema_editor):
    from portal.cities_data import ensure_cities, ensure_holidays

    ensure_cities(apps.get_model("portal", "City"))
    ensure_holidays(apps.get_model("portal", "Holiday"))


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
