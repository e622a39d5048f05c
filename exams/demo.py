"""Demo data for `manage.py demo`: Huai'an's exam sites, a week of published plans, a learner."""

import datetime

from django.utils import timezone

from exams import services
from exams.models import ExamPlan, ExamSite, LearnerRecord
from portal import identity
from portal.models import City, User


def load(stdout):
    city = City.objects.filter(code="has").first()
    if city is None or ExamSite.objects.filter(city=city).exists():
        return
    theory = ExamSite.objects.create(
        city=city, name="淮安市车管所科目一考场", address="淮安市清江浦区承德南路 288 号",
        subjects=["1", "4"], licence_classes=["C1", "C2", "A1", "A2", "B2"], daily_capacity=400,
    )  # fmt: skip
    field = ExamSite.objects.create(
        city=city, name="淮安城南考场", address="淮安市淮安区南京路 18 号",
        subjects=["2", "3"], licence_classes=["C1", "C2"], daily_capacity=200,
    )  # fmt: skip
    today = timezone.localdate()
    first = today + datetime.timedelta(days=12)
    sessions = [(datetime.time(8, 30), datetime.time(11, 30)), (datetime.time(13, 30), datetime.time(16, 30))]
    plans = services.create_plans(site=theory, subject="1", classes=["C1", "C2"], first_date=first, days=7, sessions=sessions, capacity=60)
    plans += services.create_plans(site=field, subject="2", classes=["C1", "C2"], first_date=first, days=7, sessions=sessions, capacity=40)
    for plan in plans:
        services.publish_plan(plan)
    citizen = User.objects.filter(role=User.Role.CITIZEN, is_active=True).order_by("id").first()
    if citizen is not None:
        id_number, name = citizen.id_number, citizen.real_name
    else:
        id_number, name = identity.make_id_number("320803", datetime.date(2001, 3, 9), 777), "王学员"
    if not LearnerRecord.objects.filter(id_number=identity.id_key(id_number)).exists():
        services.create_learner_record(
            city=city, id_number=id_number, name=name, licence_class="C1",
            accepted_at=timezone.now() - datetime.timedelta(days=20),
        )  # fmt: skip
    stdout.write(f"exams: 2 sites, {ExamPlan.objects.filter(city=city).count()} published plans, a learner record\n")
