"""In the browser: a hospital uploads a medical certificate, then the citizen renews their
driving licence online (SMS code, sandbox cashier, electronic licence verified by its QR link);
and a clerk's daily mail-out with the carrier and the address labels."""

import datetime

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from certificates import services
from certificates.models import Application, Item
from portal.models import MedicalInstitution, Shipment, User
from tests import factories
from tests.conftest import PASSWORD, last_code

pytestmark = pytest.mark.e2e


def log_in(page, site_url, user, next_path):
    page.context.clear_cookies()
    page.goto(site_url("has", f"/accounts/login/?next={next_path}"))
    page.fill("#id_username", user.id_number)
    page.fill("#id_password", PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_load_state()


def test_hospital_uploads_then_the_citizen_renews_the_licence_online(page, site_url):
    city = factories.city("has")
    today = timezone.localdate()
    citizen = factories.UserFactory()
    licence = factories.DrivingLicenceFactory(
        city=city,
        id_number=citizen.id_number,
        holder_name=citizen.real_name,
        valid_from=today.replace(year=today.year - 6) + datetime.timedelta(days=60),
        valid_until=today + datetime.timedelta(days=60),
    )
    hospital = MedicalInstitution.objects.create(city=city, name="淮安市第一人民医院", licence_number="E2E-H-1")
    doctor = factories.UserFactory(role=User.Role.HOSPITAL, medical_institution=hospital)

    # The hospital's staff member uploads the physical-condition certificate.
    log_in(page, site_url, doctor, "/certificates/hospital/new/")
    form = page.get_by_test_id("medical-form")
    form.locator("#id_id_number").fill(citizen.id_number)
    form.locator("#id_name").fill(citizen.real_name)
    form.locator("#id_exam_date").fill(today.isoformat())
    form.locator("#id_height_cm").fill("171")
    form.locator("#id_vision_left").fill("5.0")
    form.locator("#id_vision_right").fill("4.9")
    form.locator("#id_colour_vision").select_option("normal")
    for box in ("#id_hearing_ok", "#id_limbs_ok", "#id_trunk_neck_ok"):
        form.locator(box).check()
    form.locator("#id_conclusion").select_option("fit")
    form.locator("input[name=classes_fit][value=C1]").check()
    form.locator("#id_doctor_name").fill("王医生")
    page.get_by_test_id("save-medical").click()
    page.get_by_test_id("version").wait_for()

    # The citizen renews from the certificates page.
    log_in(page, site_url, citizen, "/certificates/")
    page.get_by_test_id("item-licence-renewal").click()
    page.get_by_test_id("apply").click()
    assert hospital.name in page.get_by_test_id("medical-used").inner_text()
    page.fill("#id_address", "江苏省淮安市清江浦区健康东路 1 号")
    page.get_by_test_id("send-code").click()
    page.get_by_test_id("sms-notice").wait_for()
    page.fill("#id_code", last_code(citizen.mobile))
    page.get_by_test_id("submit").click()
    page.get_by_test_id("pay").click()
    page.locator("button[name=action][value=pay]").click()
    page.get_by_test_id("payment-status").wait_for()

    application = Application.objects.get(licence=licence)
    assert application.status == Application.Status.UNDER_REVIEW and application.medical is not None
    clerk = factories.clerk("has")
    services.application_approve(application, clerk)
    services.application_produce(application, clerk)

    page.goto(site_url("has", f"/certificates/cases/{application.number}/"))
    page.get_by_test_id("event-produced").wait_for()
    assert page.locator("[data-testid=edoc] img").evaluate("img => img.naturalWidth") > 0
    page.get_by_test_id("verify-link").click()
    assert page.get_by_test_id("verify-result").get_attribute("class").count("alert-success") == 1
    old_until = licence.valid_until
    licence.refresh_from_db()
    assert licence.valid_from == old_until and licence.valid_until == old_until + relativedelta(years=10)


def test_a_clerk_mails_out_the_days_cases_and_prints_the_labels(page, site_url):
    city = factories.city("has")
    clerk = factories.clerk("has")
    cases = []
    for _ in range(3):
        owner = factories.UserFactory()
        car = factories.VehicleFactory(city=city, owner_id_number=owner.id_number, owner_name=owner.real_name)
        services.send_code(owner)
        application = services.application_submit(
            user=owner,
            city=city,
            item=Item.VEHICLE_LICENCE,
            code=last_code(owner.mobile),
            vehicle=car,
            kind="replace",
            delivery="post",
            cash_on_delivery=True,
            recipient_name=owner.real_name,
            recipient_phone=owner.mobile,
            address="江苏省淮安市清江浦区健康东路 1 号",
        )
        services.application_approve(application, clerk)
        services.application_produce(application, clerk)
        cases.append(application)

    log_in(page, site_url, clerk, "/admin/certificates/application/mailout/")
    assert page.get_by_test_id("mailout-row").count() == 3
    page.get_by_test_id("mail-out").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("mailout-row").count() == 0
    # The labels link, fetched by the browser with the clerk's session.
    kind, head = page.evaluate(
        """async (url) => {
            const r = await fetch(url);
            const bytes = new Uint8Array(await r.arrayBuffer());
            return [r.headers.get("content-type"), String.fromCharCode(...bytes.slice(0, 4))];
        }""",
        page.get_by_test_id("labels").get_attribute("href"),
    )
    assert kind == "application/pdf" and head == "%PDF"

    shipment = Shipment.objects.get(reference=cases[0].reference)
    page.goto(site_url("has", f"/admin/certificates/application/{cases[0].pk}/desk/"))
    page.get_by_test_id("desk-tracking").click()
    page.locator("select[name=status]").select_option("delivered")
    page.locator("form button[type=submit]").last.click()
    page.get_by_test_id("shipment-status").wait_for()
    cases[0].refresh_from_db()
    assert cases[0].status == Application.Status.CLOSED
    assert shipment.cod_amount > 0
