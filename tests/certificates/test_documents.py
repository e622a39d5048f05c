"""Electronic documents: issued with the claimed mark or the renewed licence, verified by anyone
at a public URL (valid or void, type, validity; no ID number, a masked name), void once replaced."""

import pytest

from certificates import services
from certificates.models import CompulsoryInsurance, ElectronicDocument, Item
from tests.certificates.conftest import D, on, submit, upload_medical

pytestmark = pytest.mark.django_db


def through_production(application, clerk):
    services.application_approve(application, clerk)
    return services.application_produce(application, clerk)


def test_a_claimed_mark_extends_the_inspection_and_verifies_publicly(client, citizen, has, exempt_car, clerk_has):
    with on(D(2026, 2, 2)):
        application = submit(citizen, has, Item.INSPECTION_MARK, vehicle=exempt_car, delivery="collect")
        assert application.status == "under_review"  # marks are free: nothing to pay
        through_production(application, clerk_has)
    exempt_car.refresh_from_db()
    assert exempt_car.inspection_valid_until == D(2028, 3, 31)  # 2-yearly before year 6
    document = ElectronicDocument.objects.get(application=application)
    with on(D(2026, 2, 3)):
        page = client.get(f"/certificates/verify/{document.token}/", HTTP_HOST="has.localhost").content.decode()
    assert "VALID" in page or "有效" in page
    assert exempt_car.plate_number in page and "2028-03-31" in page
    assert citizen.id_number not in page and citizen.real_name not in page
    assert citizen.real_name[0] + "*" in page


def test_a_replacement_voids_the_earlier_electronic_licence(client, citizen, has, licence_of, doctor, clerk_has):
    licence = licence_of(citizen, valid_from=D(2020, 9, 1), valid_until=D(2026, 9, 1))
    upload_medical(doctor, citizen, D(2026, 7, 1))
    with on(D(2026, 7, 6)):
        renewal = submit(citizen, has, Item.LICENCE_RENEWAL, licence=licence, cash_on_delivery=True)
        through_production(renewal, clerk_has)
    first = renewal.documents.get()
    with on(D(2026, 8, 6)):
        replacement = submit(citizen, has, Item.LICENCE_REPLACEMENT, licence=licence, cash_on_delivery=True)
        through_production(replacement, clerk_has)
    first.refresh_from_db()
    second = replacement.documents.get()
    assert first.voided_at is not None and second.voided_at is None
    old = client.get(f"/certificates/verify/{first.token}/", HTTP_HOST="has.localhost").content.decode()
    new = client.get(f"/certificates/verify/{second.token}/", HTTP_HOST="has.localhost").content.decode()
    assert ("VOID" in old or "作废" in old) and ("VALID" in new or "有效" in new)


def test_an_unknown_token_is_not_genuine_and_the_qr_code_is_an_svg(
    client, citizen_client, citizen, has, exempt_car, clerk_has
):
    assert client.get("/certificates/verify/nonsense/", HTTP_HOST="has.localhost").status_code == 404
    assert client.get("/certificates/verify/" + "x" * 300 + "/", HTTP_HOST="has.localhost").status_code == 404
    with on(D(2026, 2, 2)):
        application = submit(citizen, has, Item.INSPECTION_MARK, vehicle=exempt_car, delivery="collect")
        through_production(application, clerk_has)
    document = application.documents.get()
    response = citizen_client.get(f"/certificates/cases/{application.number}/qr/{document.token}.svg")
    assert response["Content-Type"] == "image/svg+xml" and b"<svg" in response.content
    page = citizen_client.get(f"/certificates/cases/{application.number}/").content.decode()
    assert f"/certificates/verify/{document.token}/" in page


def test_a_lost_mark_is_reissued_online_keeping_the_validity_and_voiding_the_old(
    client, citizen, has, exempt_car, clerk_has
):
    with on(D(2026, 2, 2)):
        claimed = submit(citizen, has, Item.INSPECTION_MARK, vehicle=exempt_car, delivery="collect")
        through_production(claimed, clerk_has)
    old = ElectronicDocument.objects.get(application=claimed)
    exempt_car.refresh_from_db()  # valid to 2028-03-31 now
    # Lost in June, far outside the claim window: a reissue needs only a valid inspection and
    # valid compulsory insurance (docs/rules.md §4.1).
    CompulsoryInsurance.objects.create(
        vehicle=exempt_car,
        policy_number="PDZA2026B",
        insurer="人保财险",
        valid_from=D(2026, 5, 20),
        valid_until=D(2027, 5, 19),
    )
    with on(D(2026, 6, 10)):
        assert services.refusals(Item.MARK_REISSUE, citizen, has, vehicle=exempt_car) == []
        reissue = submit(citizen, has, Item.MARK_REISSUE, vehicle=exempt_car, kind="replace", delivery="collect")
        assert reissue.status == "under_review" and reissue.fee == 0 and not reissue.takes_back_old
        through_production(reissue, clerk_has)
    exempt_car.refresh_from_db()
    assert exempt_car.inspection_valid_until == D(2028, 3, 31)  # unchanged by a reissue
    new = ElectronicDocument.objects.get(application=reissue)
    assert new.valid_until == D(2028, 3, 31)
    old.refresh_from_db()
    assert old.voided_at is not None and new.voided_at is None
    with on(D(2026, 6, 11)):
        page = client.get(f"/certificates/verify/{old.token}/", HTTP_HOST="has.localhost").content.decode()
    assert "VOID" in page or "作废" in page


def test_a_mark_is_not_reissued_after_the_inspection_expired_or_without_insurance(citizen, has, exempt_car):
    with on(D(2026, 4, 1)):
        refused = [r.message for r in services.refusals(Item.MARK_REISSUE, citizen, has, vehicle=exempt_car)]
    assert len(refused) == 1 and exempt_car.plate_number in refused[0]
    CompulsoryInsurance.objects.filter(vehicle=exempt_car).update(valid_until=D(2026, 1, 31))
    with on(D(2026, 2, 10)):
        refused = [r.message for r in services.refusals(Item.MARK_REISSUE, citizen, has, vehicle=exempt_car)]
    assert len(refused) == 1 and "交强险" in refused[0]
