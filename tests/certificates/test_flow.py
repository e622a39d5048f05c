"""A case's whole life through the pages, with the sandbox payment gateway and carrier: submit
with an SMS code, pay, review, produce, mail out, carrier events, delivery and take-back, close;
a returned shipment back to the mail-out list; a rejection with a refund; cash on delivery."""

from decimal import Decimal

import pytest

from certificates import services
from certificates.models import Application, CaseEvent, Item
from notices.models import Notice
from portal import identity
from portal.models import Payment, Shipment
from tests.certificates.conftest import D, on, upload_medical
from tests.conftest import city_client, last_code

pytestmark = pytest.mark.django_db


def apply_through_the_page(client, user, url, **fields):
    data = {
        "kind": "replace",
        "reason_text": "遗失",
        "delivery": "post",
        "recipient_name": user.real_name,
        "recipient_phone": user.mobile,
        "address": "江苏省淮安市清江浦区健康东路 1 号",
        "postcode": "223001",
        **fields,
    }
    page = client.post(url, {**data, "send_code": "1"}).content.decode()
    assert "address" in page and "健康东路" in page  # the page came back with what was typed
    response = client.post(url, {**data, "code": last_code(user.mobile)})
    assert response.status_code == 302, response.content.decode()[-3000:]
    return Application.objects.get(number=response["Location"].rstrip("/").rsplit("/", 1)[1])


def pay_at_the_sandbox(client, application):
    response = client.post(f"/certificates/cases/{application.number}/pay/")
    assert response.status_code == 302
    cashier = response["Location"]
    client.post(cashier, {"action": "pay"})
    application.refresh_from_db()


def desk(clerk_client, application, action, **data):
    return clerk_client.post(f"/admin/certificates/application/{application.pk}/desk/", {"action": action, **data})


def carrier(clerk_client, application, status):
    shipment = Shipment.objects.get(
        reference=application.reference, status__in=["created", "accepted", "in_transit", "failed"]
    )
    clerk_client.post(f"/postal/sandbox/{shipment.tracking_number}/", {"status": status, "location": "淮安"})
    application.refresh_from_db()
    return shipment


@pytest.fixture
def clerk_client(client, clerk_has):
    other = city_client(client.__class__(), "has")
    other.force_login(clerk_has)
    other.session_user = clerk_has
    return other


def kinds(application):
    return list(application.events.values_list("kind", flat=True))


def test_vehicle_licence_by_post_from_submission_to_delivery(citizen_client, clerk_client, citizen, car):
    with on(D(2026, 7, 6)):  # a Monday
        application = apply_through_the_page(citizen_client, citizen, f"/certificates/apply/vehicle-licence/{car.pk}/")
        assert application.status == "submitted" and application.total == Decimal("30.00")  # 10 + 20 postage
        assert application.id_number == identity.normalize_id_number(citizen.id_number)
        pay_at_the_sandbox(citizen_client, application)
        assert application.status == "under_review"
        assert application.due_on == D(2026, 7, 7)  # 1 working day
        desk(clerk_client, application, "approve")
        desk(clerk_client, application, "produce")
        page = clerk_client.get("/admin/certificates/application/mailout/").content.decode()
        assert application.number in page
        clerk_client.post("/admin/certificates/application/mailout/", {"case": [application.pk]})
        application.refresh_from_db()
        assert application.status == "mailed"
        labels = clerk_client.get("/admin/certificates/application/mailout/labels.pdf?date=2026-07-06")
        assert labels["Content-Type"] == "application/pdf" and labels.content.startswith(b"%PDF")
        shipment = carrier(clerk_client, application, "accepted")
        assert shipment.take_back_old_document is False  # a lost licence: nothing to take back
        carrier(clerk_client, application, "in_transit")
        carrier(clerk_client, application, "delivered")
    assert application.status == "closed"
    assert kinds(application) == [
        "submitted",
        "paid",
        "under_review",
        "approved",
        "produced",
        "mailed",
        "carrier",
        "carrier",
        "carrier",
        "delivered",
        "closed",
    ]
    page = citizen_client.get(f"/certificates/cases/{application.number}/").content.decode()
    assert shipment.tracking_number in page and 'data-testid="event-delivered"' in page
    steps = set(Notice.objects.filter(id_number_hash=identity.id_key(citizen.id_number)).values_list("kind", flat=True))
    assert {
        f"certificates.{s}"
        for s in ("submitted", "paid", "under_review", "approved", "produced", "mailed", "delivered", "closed")
    } <= steps
    # every state transition left a history row; the clerk's with the clerk's name
    reasons = dict(application.history.values_list("history_change_reason", "history_user"))
    assert {"submitted", "accepted", "approved", "produced", "mailed", "closed"} <= set(reasons)
    assert reasons["approved"] == reasons["produced"] == reasons["mailed"] == clerk_client.session_user.pk


def test_plates_exchange_takes_back_the_old_plates_and_waits_15_working_days(
    citizen_client, clerk_client, citizen, car
):
    with on(D(2026, 7, 6)):
        application = apply_through_the_page(
            citizen_client, citizen, f"/certificates/apply/plates/{car.pk}/", kind="exchange", temporary_plate_days="15"
        )
        assert application.fee == Decimal("105.00") and application.takes_back_old
        pay_at_the_sandbox(citizen_client, application)
        assert application.due_on == D(2026, 7, 27)
        desk(clerk_client, application, "approve")
        desk(clerk_client, application, "produce")
        clerk_client.post("/admin/certificates/application/mailout/", {"case": [application.pk]})
        shipment = carrier(clerk_client, application, "delivered")
    assert shipment.take_back_old_document
    assert kinds(application)[-3:] == ["delivered", "taken_back", "closed"]


def test_a_returned_shipment_goes_back_to_the_list_and_the_citizen_is_told(citizen_client, clerk_client, citizen, car):
    with on(D(2026, 7, 6)):
        application = apply_through_the_page(
            citizen_client, citizen, f"/certificates/apply/registration-cert/{car.pk}/"
        )
        pay_at_the_sandbox(citizen_client, application)
        desk(clerk_client, application, "approve")
        desk(clerk_client, application, "produce")
        clerk_client.post("/admin/certificates/application/mailout/", {"case": [application.pk]})
        carrier(clerk_client, application, "failed")
        carrier(clerk_client, application, "returned")
        assert application.status == "produced" and application.returned_count == 1
        assert Notice.objects.filter(kind="certificates.returned").count() == 1
        page = clerk_client.get("/admin/certificates/application/mailout/").content.decode()
        assert application.number in page
        clerk_client.post("/admin/certificates/application/mailout/", {"case": [application.pk]})
        application.refresh_from_db()
        assert application.status == "mailed"
        assert Shipment.objects.filter(reference=application.reference).count() == 2
        carrier(clerk_client, application, "delivered")
    assert application.status == "closed"


def test_a_rejection_tells_the_reason_and_refunds_the_fees(citizen_client, clerk_client, citizen, car):
    with on(D(2026, 7, 6)):
        application = apply_through_the_page(citizen_client, citizen, f"/certificates/apply/vehicle-licence/{car.pk}/")
        pay_at_the_sandbox(citizen_client, application)
        page = desk(clerk_client, application, "reject", reason="").content.decode()
        application.refresh_from_db()
        assert application.status == "under_review"
        desk(clerk_client, application, "reject", reason="行驶证信息与登记不符，请到车管所办理")
        application.refresh_from_db()
    assert application.status == "rejected" and "不符" in application.rejection_reason
    payment = Payment.objects.get(reference=application.reference)
    assert payment.status == "refunded" and payment.refunded_amount == Decimal("30.00")
    assert kinds(application)[-2:] == ["rejected", "refunded"]
    page = citizen_client.get(f"/certificates/cases/{application.number}/").content.decode()
    assert "不符" in page
    assert Notice.objects.filter(kind="certificates.rejected").exists()
    assert page  # and the same item can be applied for again
    assert services.refusals(Item.VEHICLE_LICENCE, citizen, car.city, vehicle=car) == []


def test_cash_on_delivery_goes_straight_to_review_and_the_courier_collects(citizen_client, clerk_client, citizen, car):
    with on(D(2026, 7, 6)):
        application = apply_through_the_page(
            citizen_client, citizen, f"/certificates/apply/vehicle-licence/{car.pk}/", cash_on_delivery="on"
        )
        assert (
            application.status == "under_review"
            and not Payment.objects.filter(reference=application.reference).exists()
        )
        desk(clerk_client, application, "approve")
        desk(clerk_client, application, "produce")
        clerk_client.post("/admin/certificates/application/mailout/", {"case": [application.pk]})
        shipment = Shipment.objects.get(reference=application.reference)
    assert shipment.cod_amount == Decimal("30.00")


def test_collect_at_the_office_is_closed_at_the_counter(citizen_client, clerk_client, citizen, licence_of):
    licence = licence_of(citizen)
    with on(D(2026, 7, 6)):
        application = apply_through_the_page(
            citizen_client, citizen, f"/certificates/apply/licence-replacement/{licence.pk}/", delivery="collect"
        )
        assert application.postage == 0 and application.address == ""
        pay_at_the_sandbox(citizen_client, application)
        desk(clerk_client, application, "approve")
        desk(clerk_client, application, "produce")
        desk(clerk_client, application, "collected")
        application.refresh_from_db()
    assert application.status == "closed" and "collected" in kinds(application)


def test_nothing_can_be_edited_after_submission_and_a_wrong_code_saves_nothing(citizen_client, citizen, car):
    url = f"/certificates/apply/vehicle-licence/{car.pk}/"
    with on(D(2026, 7, 6)):
        data = {
            "kind": "replace",
            "delivery": "post",
            "recipient_name": "张三",
            "recipient_phone": citizen.mobile,
            "address": "淮安",
        }
        citizen_client.post(url, {**data, "send_code": "1"})
        page = citizen_client.post(
            url, {**data, "code": "000000" if last_code(citizen.mobile) != "000000" else "111111"}
        ).content.decode()
        assert Application.objects.count() == 0 and "淮安" in page
        # the wrong try is counted (it committed although nothing else did)
        from portal.models import SmsCode

        assert SmsCode.objects.filter(mobile=citizen.mobile).order_by("-created_at").first().attempts == 1
        application = apply_through_the_page(citizen_client, citizen, url)
    before = application.history.count()
    # there is no edit page: only pay and withdraw exist for a case
    from django.urls import NoReverseMatch, reverse

    with pytest.raises(NoReverseMatch):
        reverse("certificates:edit", args=["x"])
    # posting the form again does not touch the submitted case
    with on(D(2026, 7, 6), 11):
        citizen_client.post(url, {"kind": "exchange", "delivery": "collect", "send_code": "1"})
        citizen_client.post(url, {"kind": "exchange", "delivery": "collect", "code": last_code(citizen.mobile)})
    application.refresh_from_db()
    assert application.kind == "replace" and application.delivery == "post" and application.history.count() == before


def test_a_second_open_application_for_the_same_item_and_vehicle_is_refused(citizen, has, car):
    from tests.certificates.conftest import submit

    with on(D(2026, 7, 6)):
        first = submit(citizen, has, Item.VEHICLE_LICENCE, vehicle=car)
    with on(D(2026, 7, 6), 11), pytest.raises(services.CertificateError):
        submit(citizen, has, Item.VEHICLE_LICENCE, vehicle=car)
    with on(D(2026, 7, 6), 12):
        services.application_withdraw(first, citizen)
        assert first.status == "cancelled"
    with on(D(2026, 7, 6), 13):
        assert submit(citizen, has, Item.VEHICLE_LICENCE, vehicle=car).status == "submitted"


def test_another_citizen_cannot_see_a_case(client, citizen, other_citizen, has, car):
    from tests.certificates.conftest import submit

    with on(D(2026, 7, 6)):
        application = submit(citizen, has, Item.VEHICLE_LICENCE, vehicle=car)
    other = city_client(client, "has")
    other.force_login(other_citizen)
    assert other.get(f"/certificates/cases/{application.number}/").status_code == 404
    assert other.post(f"/certificates/cases/{application.number}/pay/").status_code == 404


def test_licence_renewal_gets_the_next_validity_and_an_electronic_licence(
    citizen_client, clerk_client, citizen, licence_of, doctor
):
    licence = licence_of(citizen, valid_from=D(2020, 9, 1), valid_until=D(2026, 9, 1))
    upload_medical(doctor, citizen, D(2026, 7, 1))
    with on(D(2026, 7, 6)):
        application = apply_through_the_page(
            citizen_client, citizen, f"/certificates/apply/licence-renewal/{licence.pk}/", kind="expiry"
        )
        assert application.medical is not None and application.takes_back_old
        pay_at_the_sandbox(citizen_client, application)
        desk(clerk_client, application, "approve")
        desk(clerk_client, application, "produce")
    licence.refresh_from_db()
    assert licence.valid_from == D(2026, 9, 1) and licence.valid_until == D(2036, 9, 1)
    document = application.documents.get()
    assert document.kind == "driving_licence" and document.valid_until == D(2036, 9, 1)
    assert licence.history.filter(history_user__isnull=False).exists()


def test_renewal_of_a_10_year_licence_is_long_term_unless_12_points_were_reached(citizen, licence_of):
    from certificates import rules

    assert rules.next_validity_years(rules.validity_years(D(2016, 9, 1), D(2026, 9, 1)), False) is None
    assert rules.next_validity_years(rules.validity_years(D(2016, 9, 1), D(2026, 9, 1)), True) == 10
    assert rules.next_validity_years(rules.validity_years(D(2020, 9, 1), D(2026, 9, 1)), True) == 6
    assert CaseEvent.Kind.TAKEN_BACK


def test_the_registry_notices_and_the_case_notices_lead_to_the_service(citizen_client, citizen, has, car):
    import notices

    with on(D(2026, 7, 6)):
        notices.notify(
            "notices.licence_window",
            id_number=citizen.id_number,
            city=has,
            context={"licence_class": "C1", "valid_until": "2026-09-01"},
        )
        notices.notify(
            "notices.inspection_claim_mark",
            id_number=citizen.id_number,
            city=has,
            context={"plate": car.plate_number, "valid_until": "2026-09-01"},
        )
        from tests.certificates.conftest import submit

        application = submit(citizen, has, Item.VEHICLE_LICENCE, vehicle=car)
    links = {}
    for notice in Notice.objects.filter(id_number_hash=identity.id_key(citizen.id_number)):
        page = citizen_client.get(f"/notices/{notice.pk}/").content.decode()
        assert 'data-testid="notice-action"' in page, notice.kind
        links[notice.kind] = page
    assert "/certificates/apply/licence-renewal/" in links["notices.licence_window"]
    assert "/certificates/apply/inspection-mark/" in links["notices.inspection_claim_mark"]
    assert f"/certificates/cases/{application.number}/" in links["certificates.submitted"]
    home = citizen_client.get("/").content.decode()
    assert 'href="/certificates/"' in home
