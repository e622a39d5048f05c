"""Demo data for `manage.py demo`: compulsory insurance of the demo cars, a citizen whose car may
claim its inspection mark online and whose licence may be renewed (with the demo hospital's
medical certificate), and cases in every state of the Huai'an clerk's queue."""

import datetime

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from certificates import services
from certificates.models import Application, CompulsoryInsurance, Item, MedicalCertificate, VehicleTax
from portal import identity
from portal.models import City, DrivingLicence, MedicalInstitution, User, Vehicle

PASSWORD = "Demo-2026-pass"
ZHOU = ("周敏", datetime.date(1987, 4, 9), 617, "13812340031")
SOLDIER = ("陈军", datetime.date(1999, 8, 1), 657, "13812340035")
QUEUE_OWNERS = [("吴昊", 623, "13812340032"), ("郑洁", 631, "13812340033"), ("冯涛", 649, "13812340034")]


def _user(name, birth, seq, mobile) -> User:
    id_number = identity.make_id_number("320812", birth, seq)
    user = User.objects.filter(id_number_hash=identity.id_key(id_number)).first()
    if user is None:
        user = User.objects.create_user(id_number, mobile, name, PASSWORD)
    return user


def _car(city, user, vin, plate, registered_on, valid_until) -> Vehicle:
    vehicle, _ = Vehicle.objects.update_or_create(
        vin=vin,
        defaults={
            "city": city,
            "plate_number": plate,
            "owner_id_number": identity.normalize_id_number(user.id_number),
            "owner_name": user.real_name,
            "brand": "比亚迪",
            "model_name": "秦PLUS BYD7152",
            "status": Vehicle.Status.NORMAL,
            "registered_on": registered_on,
            "inspection_valid_until": valid_until,
        },
    )
    CompulsoryInsurance.objects.get_or_create(
        policy_number=f"PDZA2026{vehicle.pk:010d}",
        defaults={
            "vehicle": vehicle,
            "insurer": "中国人民财产保险",
            "valid_from": timezone.localdate() - datetime.timedelta(days=120),
            "valid_until": timezone.localdate() + datetime.timedelta(days=245),
        },
    )
    # The vehicle and vessel tax of every year since registration, collected with the insurance.
    for year in range(registered_on.year, timezone.localdate().year + 1):
        VehicleTax.objects.get_or_create(
            vehicle=vehicle,
            tax_year=year,
            defaults={"certificate_number": f"320{year}{vehicle.pk:09d}", "collected_by": "中国人民财产保险"},
        )
    return vehicle


def load(stdout):
    city = City.objects.filter(code="has").first()
    if city is None or Application.objects.filter(city=city).exists():
        return
    today = timezone.localdate()
    for vehicle in Vehicle.objects.filter(plate_number__isnull=False, status=Vehicle.Status.NORMAL):
        CompulsoryInsurance.objects.get_or_create(
            policy_number=f"PDZA2026{vehicle.pk:010d}",
            defaults={
                "vehicle": vehicle,
                "insurer": "中国平安财产保险",
                "valid_from": today - datetime.timedelta(days=200),
                "valid_until": today + datetime.timedelta(days=165),
            },
        )
    # 周敏: a car at its 4-year inspection (exempt: claim the mark online) due in 60 days, and a
    # licence expiring in 60 days with a medical certificate from the demo hospital.
    zhou = _user(*ZHOU)
    due = today + datetime.timedelta(days=60)
    _car(city, zhou, "LGXCE4CB5N0617001", "苏H6M617", due - relativedelta(years=4), due)
    DrivingLicence.objects.update_or_create(
        file_number="320800123431",
        defaults={
            "city": city,
            "id_number": identity.normalize_id_number(zhou.id_number),
            "holder_name": zhou.real_name,
            "licence_class": "C1",
            "first_issued_on": due - relativedelta(years=6),
            "valid_from": due - relativedelta(years=6),
            "valid_until": due,
            "cycle_start": due - relativedelta(years=1),
        },
    )
    hospital = MedicalInstitution.objects.filter(city=city, is_active=True).first()
    staff = User.objects.filter(role=User.Role.HOSPITAL, medical_institution=hospital).first()
    if (
        hospital is not None
        and staff is not None
        and not MedicalCertificate.objects.filter(id_number_hash=identity.id_key(zhou.id_number)).exists()
    ):
        services.medical_upload(
            staff,
            id_number=zhou.id_number,
            name=zhou.real_name,
            exam_date=today - datetime.timedelta(days=3),
            height_cm=168,
            vision_left="5.0",
            vision_right="5.0",
            vision_corrected=False,
            colour_vision="normal",
            hearing_ok=True,
            limbs_ok=True,
            trunk_neck_ok=True,
            conclusion="fit",
            classes_fit=["C1", "C2"],
            doctor_name="孙丽",
        )
    # The clerk's queue: cases paid in cash on delivery, so they wait for review at once.
    clerk = User.objects.filter(role=User.Role.CLERK, clerk_profile__city=city).first()
    for index, (name, seq, mobile) in enumerate(QUEUE_OWNERS):
        owner = _user(name, datetime.date(1990, 1 + index, 10), seq, mobile)
        vehicle = _car(
            city,
            owner,
            f"LGXCE4CB5N06{seq:05d}",
            f"苏H7Q{seq}",
            today - relativedelta(years=3),
            today + relativedelta(months=9),
        )
        application = Application(
            number=f"{city.division_code}{today:%y%m%d}{seq:06d}",
            city=city,
            item=Item.VEHICLE_LICENCE if index != 1 else Item.PLATES,
            applicant=owner,
            id_number=identity.normalize_id_number(owner.id_number),
            vehicle=vehicle,
            kind=Application.Kind.REPLACE,
            delivery=Application.Delivery.POST,
            cash_on_delivery=True,
            recipient_name=owner.real_name,
            recipient_phone=owner.mobile,
            address=f"江苏省淮安市清江浦区健康东路 {seq} 号",
            fee=10 if index != 1 else 100,
            postage=20,
            takes_back_old=index == 1,
            submitted_at=timezone.now() - datetime.timedelta(days=3 - index),
        )
        application.save()
        services.applications._accept(application, application.submitted_at)
        if index == 2 and clerk is not None:
            services.application_approve(application, clerk)
            services.application_produce(application, clerk)
    _deferral_demo(city, today)
    stdout.write(
        f"Certificates demo: {ZHOU[0]} (mobile {ZHOU[3]}, password {PASSWORD}) may claim the inspection mark of "
        "苏H6M617 and renew a C1 licence online; the Huai'an clerk has cases in the review queue and the mail-out list, "
        f"and {SOLDIER[0]}'s request to defer a renewal (mobile {SOLDIER[3]})."
    )


# A minimal PDF (header and end-of-file marker: what portal.uploads checks).
DEMO_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _deferral_demo(city, today):
    """陈军, serving in the army, asks to defer the renewal of a licence expiring in 30 days by
    two years: a request in the Huai'an clerk's deferral list (docs/rules.md §4.7)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    soldier = _user(*SOLDIER)
    expiry = today + datetime.timedelta(days=30)
    licence, _ = DrivingLicence.objects.update_or_create(
        file_number="320800123435",
        defaults={
            "city": city,
            "id_number": identity.normalize_id_number(soldier.id_number),
            "holder_name": soldier.real_name,
            "mobile": soldier.mobile,
            "licence_class": "C1",
            "first_issued_on": expiry - relativedelta(years=6),
            "valid_from": expiry - relativedelta(years=6),
            "valid_until": expiry,
            "cycle_start": expiry - relativedelta(years=1),
        },
    )
    services.deferral_submit(
        soldier,
        licence_id=licence.pk,
        subject="renewal",
        reason="military",
        until=expiry + relativedelta(years=2),
        details="驻外部队服役",
        document=SimpleUploadedFile("service.pdf", DEMO_PDF, content_type="application/pdf"),
    )
