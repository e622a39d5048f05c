"""Demo data for `manage.py demo`: camera records on the demo citizens' cars, one driver bound
to another's car, and the study material's first run (idempotent)."""

import datetime

from django.utils import timezone

from portal import identity
from portal.models import Vehicle
from violations import services
from violations.models import Binding, Violation, ViolationCode

# (plate, code, days ago, hour, place, fine or None for the code's highest, source)
RECORDS = [
    ("苏H8A123", "1625", 20, 8, "淮安市清江浦区淮海东路与健康西路交叉口", None, "camera"),
    ("苏H8A123", "1357", 12, 17, "淮安市清江浦区翔宇大道人行横道", "100", "camera"),
    ("苏H8A123", "1039", 9, 11, "淮安市淮安区镇淮楼东路", "100", "onsite"),
    ("苏H8A123", "1721", 6, 22, "淮安市淮安区宁连公路 K12+300", "1000", "camera"),
    ("苏H8A123", "1344", 2, 9, "淮安市清江浦区北京北路与承德北路交叉口", "100", "camera"),
    ("苏HD5678", "6011", 15, 7, "淮安市淮阴区长江东路", "50", "camera"),
    ("苏E7K2Q8", "1625", 10, 19, "苏州市姑苏区人民路与干将路交叉口", None, "camera"),
]
WANG_ID = identity.make_id_number("320803", datetime.date(1995, 2, 28), 262)


def load(stdout):
    for vehicle in Vehicle.objects.filter(engine_number=""):
        vehicle.engine_number = f"DJ{vehicle.vin[-10:]}"
        vehicle.save(update_fields=["engine_number"])
    if Violation.objects.exists():
        return
    now = timezone.now()
    codes = {c.code: c for c in ViolationCode.objects.all()}
    zhang_car = Vehicle.objects.filter(plate_number="苏H8A123").first()
    if zhang_car is not None and not Binding.objects.filter(vehicle=zhang_car).exists():
        # 王芳 drives 张伟's car: registered 10 days ago, so she sees the two newest records.
        Binding.objects.create(
            city=zhang_car.city,
            vehicle=zhang_car,
            driver_id_number=identity.normalize_id_number(WANG_ID),
            driver_name="王芳",
            relationship=Binding.Relationship.FRIEND,
            status=Binding.Status.ACTIVE,
            requested_at=now - datetime.timedelta(days=10, hours=1),
            approved_at=now - datetime.timedelta(days=10),
        )
    made = 0
    for plate, code, days, hour, place, fine, source in RECORDS:
        vehicle = Vehicle.objects.filter(plate_number=plate).first()
        if vehicle is None or code not in codes:
            continue
        when = timezone.localtime(now - datetime.timedelta(days=days)).replace(hour=hour, minute=12, second=0)
        services.violation_record(
            vehicle=vehicle, code=codes[code], occurred_at=when, place=place, fine=fine, source=source
        )
        made += 1
    stdout.write(f"violations: {made} demo records, 王芳 registered to 苏H8A123")
