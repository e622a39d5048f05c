"""Demo data for `manage.py demo`: Huai'an's exam sites, a week of published plans, a learner;
two inspection stations with two weeks of slots (张伟's overdue 苏HD5678 may book one)."""

import datetime

from django.utils import timezone

from exams import services
from exams.models import ExamPlan, ExamSite, LearnerRecord
from portal import identity, workdays
from portal.models import City, User

PASSWORD = "Demo-2026-pass"
# (name, birth date, ID sequence, mobile, learner permit issued N days ago or None)
LEARNERS = [
    ("赵磊", datetime.date(2003, 5, 12), 519, "13812340019", None),  # books subject 1
    ("钱多多", datetime.date(1999, 10, 3), 527, "13812340027", 15),  # subject 1 passed: may book subject 2
]


def load(stdout):
    _load_exams(stdout)
    _load_inspection(stdout)


def _load_inspection(stdout):
    from exams.models import InspectionStation
    from exams.services import inspection

    city = City.objects.filter(code="has").first()
    if city is None or InspectionStation.objects.filter(city=city).exists():
        return
    stations = [
        InspectionStation.objects.create(
            city=city,
            name="淮安城东机动车检测站",
            address="淮安市清江浦区枚乘东路 9 号",
            phone="0517-83600001",
            lanes=4,
            vehicle_kinds=["small_passenger", "large_passenger", "truck"],
            opens_at=datetime.time(8, 30),
            closes_at=datetime.time(17, 0),
            break_from=datetime.time(12, 0),
            break_until=datetime.time(13, 30),
            slot_minutes=60,
            slot_capacity=12,
        ),
        InspectionStation.objects.create(
            city=city,
            name="淮安区机动车安全技术检测站",
            address="淮安市淮安区翔宇大道 66 号",
            phone="0517-85900002",
            lanes=2,
            vehicle_kinds=["small_passenger", "motorcycle"],
            opens_at=datetime.time(8, 0),
            closes_at=datetime.time(16, 30),
            break_from=datetime.time(11, 30),
            break_until=datetime.time(13, 0),
            slot_minutes=30,
            slot_capacity=4,
        ),
    ]
    first = timezone.localdate() + datetime.timedelta(days=1)
    made = sum(len(inspection.slots_generate(s, first, first + datetime.timedelta(days=13))) for s in stations)
    stdout.write(f"inspection: 2 stations, {made} slots over two weeks (log in as 张伟 and book for 苏HD5678)\n")


def _load_exams(stdout):
    city = City.objects.filter(code="has").first()
    if city is None or ExamSite.objects.filter(city=city).exists():
        return
    theory = ExamSite.objects.create(
        city=city,
        name="淮安市车管所科目一考场",
        address="淮安市清江浦区承德南路 288 号",
        subjects=["1", "4"],
        licence_classes=["C1", "C2", "A1", "A2", "B2"],
        daily_capacity=400,
    )
    field = ExamSite.objects.create(
        city=city,
        name="淮安城南考场",
        address="淮安市淮安区南京路 18 号",
        subjects=["2", "3"],
        licence_classes=["C1", "C2"],
        daily_capacity=200,
    )
    today = timezone.localdate()
    # Past the publication lead of 10 working days (docs/rules.md §3), holidays included.
    first = workdays.add_working_days(today, 12)
    sessions = [(datetime.time(8, 30), datetime.time(11, 30)), (datetime.time(13, 30), datetime.time(16, 30))]
    plans = services.plans_create(
        site=theory, subject="1", classes=["C1", "C2"], first_date=first, days=7, sessions=sessions, capacity=60
    )
    plans += services.plans_create(
        site=field, subject="2", classes=["C1", "C2"], first_date=first, days=7, sessions=sessions, capacity=40
    )
    for plan in plans:
        services.plan_publish(plan)
    # The platform's demo citizens all hold licences already: the learners are our own.
    for name, birth, seq, mobile, permit_days_ago in LEARNERS:
        id_number = identity.make_id_number("320803", birth, seq)
        user = User.objects.filter(id_number_hash=identity.id_key(id_number)).first()
        if user is None:
            user = User.objects.create_user(id_number, mobile, name, password=PASSWORD)
        if LearnerRecord.objects.filter(id_number_hash=identity.id_key(id_number)).exists():
            continue
        record = services.record_create(
            city=city,
            id_number=id_number,
            name=name,
            licence_class="C1",
            accepted_at=timezone.now() - datetime.timedelta(days=40),
        )
        if permit_days_ago is not None:
            issued = today - datetime.timedelta(days=permit_days_ago)
            record.subject1_passed_on = record.last_exam_on = issued
            services.permit_issue(record, issued)
            record.save()
        stdout.write(f"  exams learner {name}: ID {id_number}  mobile {mobile}  password {PASSWORD}\n")
    stdout.write(f"exams: 2 sites, {ExamPlan.objects.filter(city=city).count()} published plans, 2 learners\n")
