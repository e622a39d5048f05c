"""The records the access matrix (test_access_matrix.py) points at: a `World` of personas and
their cities, and a builder per kind of record, each making its record once per world (through
the owning app's services, as that app's own tests do) and returning it."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from portal.models import Payment, Shipment
from portal.payments import services as payments
from portal.postal import services as postal
from tests import factories

payments.register_purpose("matrix.fee", label="Matrix fee")


@dataclass
class World:
    """The records the rows point at: one of each, owned by `owner`, in Huai'an."""

    has: object
    szv: object
    users: dict
    objects: dict = field(default_factory=dict)


def build_payment(w) -> Payment:
    if "payment" not in w.objects:
        p = payments.start_payment(
            purpose="matrix.fee",
            reference="matrix:1",
            city=w.has,
            payer=w.users["owner"],
            amount=Decimal("10.00"),
            description="matrix",
        )
        Payment.objects.filter(pk=p.pk).update(status=Payment.Status.PAID, paid_at=datetime.datetime.now(datetime.UTC))
        w.objects["payment"] = p
    return w.objects["payment"]


def build_shipment(w) -> Shipment:
    if "shipment" not in w.objects:
        w.objects["shipment"] = postal.create_shipment(
            city=w.has,
            purpose="matrix.mail",
            reference="matrix:1",
            recipient_name="收件人",
            recipient_phone="13900001111",
            address="淮安市清江浦区1号",
            contents="驾驶证",
        )
    return w.objects["shipment"]


def build_selection(w):
    if "selection" not in w.objects:
        from tests.plates.conftest import new_vehicle, open_block, verified_selection

        open_block(w.has)
        w.objects["selection"] = verified_selection(w.users["owner"], new_vehicle(w.users["owner"], w.has))
    return w.objects["selection"]


def build_hold(w):
    if "hold" not in w.objects:
        from tests.plates.conftest import confirmed_hold, new_vehicle, set_city, verified_selection

        build_selection(w)
        set_city(w.has, "plate_second_sms", False)
        w.objects["hold"] = confirmed_hold(verified_selection(w.users["owner"], new_vehicle(w.users["owner"], w.has)))
    return w.objects["hold"]


def build_plan(w):
    if "plan" not in w.objects:
        from exams import services
        from exams.models import ExamPlan, ExamSite

        site = ExamSite.objects.create(
            city=w.has,
            name="矩阵考场",
            address="淮安",
            subjects=["1", "2", "3", "4"],
            licence_classes=["C1"],
            daily_capacity=1000,
        )
        plan = ExamPlan.objects.create(
            city=w.has,
            site=site,
            subject="1",
            licence_classes=["C1"],
            date=datetime.date.today() + datetime.timedelta(days=20),
            starts_at=datetime.time(8),
            ends_at=datetime.time(10),
            capacity=10,
        )
        services.plan_publish(plan)
        plan.refresh_from_db()
        w.objects["plan"] = plan
    return w.objects["plan"]


def build_exam_request(w):
    if "exam_request" not in w.objects:
        from django.utils import timezone

        from exams import services
        from exams.models import LearnerRecord

        owner = w.users["owner"]
        LearnerRecord.objects.create(
            city=w.has,
            id_number=owner.id_number,
            name=owner.real_name,
            licence_class="C1",
            application_accepted_at=timezone.now() - datetime.timedelta(days=30),
        )
        w.objects["exam_request"] = services.request_create_online(city=w.has, plan_id=build_plan(w).pk, user=owner)
    return w.objects["exam_request"]


def build_notice(w):
    if "notice" not in w.objects:
        from notices.models import Notice

        w.objects["notice"] = Notice.objects.create(
            id_number=w.users["owner"].id_number, city=w.has, kind="matrix", context={}
        )
    return w.objects["notice"]


def build_feed(w):
    from notices.models import CalendarFeed

    return CalendarFeed.objects.get_or_create(user=w.users["owner"])[0]


def build_announcement(w):
    from notices.models import Announcement

    return Announcement.objects.create(city=w.has, title_text="公告", body_text="正文").pk


def build_article(w):
    from notices.models import Article

    return Article.objects.create(city=w.has, title="文章", body="正文", published=True).pk


def build_question(w):
    """The owner's unanswered question: theirs to see; public only once answered and published."""
    from notices.models import Question

    return Question.objects.create(city=w.has, asker=w.users["owner"], subject="问", body="问题").pk


def build_inspection(w):
    """A station, two slots next week, and a car of the owner booked into the first slot."""
    if "inspection" not in w.objects:
        from django.utils import timezone

        from exams.models import InspectionSlot, InspectionStation
        from exams.services import inspection as inspection_services

        owner = w.users["owner"]
        station = InspectionStation.objects.create(
            city=w.has,
            name="矩阵检测站",
            address="淮安",
            vehicle_kinds=["small_passenger"],
            opens_at=datetime.time(8, 30),
            closes_at=datetime.time(17, 0),
            slot_capacity=4,
        )
        day = timezone.localdate() + datetime.timedelta(days=7)
        slots = [
            InspectionSlot.objects.create(
                city=w.has,
                station=station,
                date=day,
                starts_at=datetime.time(h),
                ends_at=datetime.time(h + 1),
                capacity=4,
            )
            for h in (9, 10)
        ]
        car = factories.VehicleFactory(
            city=w.has,
            owner_id_number=owner.id_number,
            owner_name=owner.real_name,
            registered_on=datetime.date(2014, 3, 1),  # past 10 years: on site every year
            inspection_valid_until=timezone.localdate() + datetime.timedelta(days=30),
        )
        booking = inspection_services.booking_create(
            city=w.has, vehicle_id=car.pk, slot_id=slots[0].pk, id_number=owner.id_number
        )
        w.objects["inspection"] = {"station": station, "slots": slots, "car": car, "booking": booking}
    return w.objects["inspection"]


# --- Violations and certificates (built through their own services, as tests/violations and
# tests/certificates do) ----------------------------------------------------------------------
def build_owner_car(w):
    if "car" not in w.objects:
        from portal import identity

        owner = w.users["owner"]
        vehicle = factories.VehicleFactory(
            city=w.has,
            owner_id_number=identity.normalize_id_number(owner.id_number),
            owner_name=owner.real_name,
            plate_type="02",
        )
        vehicle.engine_number = f"EA211{vehicle.pk:07d}"
        vehicle.save(update_fields=["engine_number"])
        factories.DrivingLicenceFactory(
            city=w.has, id_number=identity.normalize_id_number(owner.id_number), holder_name=owner.real_name
        )
        w.objects["car"] = vehicle
    return w.objects["car"]


def build_violation(w):
    if "violation" not in w.objects:
        from django.utils import timezone

        from tests.violations.conftest import code
        from violations import services

        when = timezone.now() - datetime.timedelta(days=3)
        w.objects["violation"] = services.violation_record(
            vehicle=build_owner_car(w),
            code=code("1625"),
            occurred_at=when,
            place="淮海东路",
            fine=None,
            source="camera",
        )
    return w.objects["violation"]


def build_decision(w):
    """A decision issued at the counter on a second record of the owner's car (the first stays open)."""
    if "decision" not in w.objects:
        from django.utils import timezone

        from tests.violations.conftest import code
        from violations import services

        record = services.violation_record(
            vehicle=build_owner_car(w),
            code=code("1625"),
            occurred_at=timezone.now() - datetime.timedelta(days=5),
            place="健康西路",
            fine=None,
            source="camera",
        )
        w.objects["decision"] = services.violation_handle(
            [record.pk], user=w.users["owner"], online=False, by=w.users["clerk_has"]
        )[0]
    return w.objects["decision"]


def build_binding(w):
    """The bound driver's active binding on the owner's car."""
    if "binding" not in w.objects:
        from django.utils import timezone

        from portal import identity
        from violations.models import Binding

        car, driver = build_owner_car(w), w.users["driver"]
        w.objects["binding"] = Binding.objects.create(
            city=w.has,
            vehicle=car,
            driver_id_number=identity.normalize_id_number(driver.id_number),
            driver_name=driver.real_name,
            relationship="spouse",
            status=Binding.Status.ACTIVE,
            # Bound before the records were made: the driver sees them (docs/rules.md §5).
            requested_at=timezone.now() - datetime.timedelta(days=30),
            approved_at=timezone.now() - datetime.timedelta(days=30),
        )
    return w.objects["binding"]


def build_objection(w):
    if "objection" not in w.objects:
        from violations.services import objections

        w.objects["objection"] = objections.objection_file(
            build_violation(w), user=w.users["owner"], reason="不是我的车"
        )
    return w.objects["objection"]


def build_application(w):
    if "application" not in w.objects:
        from certificates.models import Item
        from tests.certificates.conftest import submit

        w.objects["application"] = submit(w.users["owner"], w.has, Item.VEHICLE_LICENCE, vehicle=build_owner_car(w))
    return w.objects["application"]


def build_unit_staff(w):
    """An extra staff member of unit A."""
    if "unit_staff" not in w.objects:
        from portal.models import UnitMember

        w.objects["unit_staff"] = UnitMember.objects.create(unit=w.objects["unit_a"], user=factories.UserFactory())
    return w.objects["unit_staff"]


def build_travel_subscription(w):
    if "travel_subscription" not in w.objects:
        from notices import services

        w.objects["travel_subscription"] = services.subscription_add(user=w.users["owner"], city=w.has, road="淮海东路")
    return w.objects["travel_subscription"]


def build_travel_advisory(w):
    from django.utils import timezone

    from notices import services
    from notices.models import TravelAdvisory

    now = timezone.now()
    advisory = TravelAdvisory(
        city=w.has,
        kind="control",
        district="清江浦区",
        road="淮海东路",
        starts_at=now,
        ends_at=now + datetime.timedelta(days=1),
    )
    services.advisory_save(advisory, by=w.users["clerk_has"])
    return advisory


def build_deferral(w):
    """The owner's request to defer renewal of their licence, awaiting a Huai'an clerk."""
    if "deferral" not in w.objects:
        from django.core.files.uploadedfile import SimpleUploadedFile

        from certificates import services
        from portal.models import DrivingLicence

        build_owner_car(w)
        licence = DrivingLicence.objects.held_by(w.users["owner"].id_number).first()
        w.objects["deferral"] = services.deferral_submit(
            w.users["owner"],
            licence_id=licence.pk,
            subject="renewal",
            reason="abroad",
            until=licence.valid_until + datetime.timedelta(days=365),
            details="",
            document=SimpleUploadedFile("d.pdf", b"%PDF-1.4\n%%EOF\n"),
        )
    return w.objects["deferral"]


def build_medical(w):
    """A certificate uploaded by hospital A's staff for the owner."""
    if "medical" not in w.objects:
        from django.utils import timezone

        from certificates import services
        from tests.certificates.conftest import MEDICAL

        owner = w.users["owner"]
        w.objects["medical"] = services.medical_upload(
            w.users["hospital_a"],
            id_number=owner.id_number,
            name=owner.real_name,
            exam_date=timezone.localdate(),
            **MEDICAL,
        )
    return w.objects["medical"]


def build_document(w):
    if "document" not in w.objects:
        from certificates.services.documents import document_issue

        w.objects["document"] = document_issue(build_application(w), vehicle=build_owner_car(w))
    return w.objects["document"]


def build_accident(w):
    """An agreed accident case: the owner is party A, the driver party B (docs/rules.md §5.7)."""
    if "accident" not in w.objects:
        from django.utils import timezone

        from certificates.models import CompulsoryInsurance
        from tests.violations.accident_helpers import started_case
        from violations.services import accidents

        owner, driver = w.users["owner"], w.users["driver"]
        car = build_owner_car(w)
        other_car = factories.VehicleFactory(city=w.has, owner_id_number=driver.id_number, owner_name=driver.real_name)
        factories.DrivingLicenceFactory(city=w.has, id_number=driver.id_number)
        today = timezone.localdate()
        for n, vehicle in enumerate((car, other_car)):
            CompulsoryInsurance.objects.create(
                vehicle=vehicle,
                policy_number=f"MATRIX{vehicle.pk}-{n}",
                insurer="人保财险",
                valid_from=today - datetime.timedelta(days=10),
                valid_until=today + datetime.timedelta(days=300),
            )
        case = started_case(
            owner, w.has, car, other_plate=other_car.plate_number, other_licence_number=driver.id_number
        )
        accidents.accident_join(case, user=driver)
        case = accidents.accident_propose(case, user=owner, situation="rear_end", fault_role="B")
        w.objects["accident"] = accidents.accident_accept(case, user=driver, version=case.proposal_version)
    return w.objects["accident"]
