"""Each item's eligibility at its boundaries (docs/rules.md §4), by travelling in time."""

import datetime

import pytest
from django.utils import timezone

from certificates import selectors, services
from certificates.models import CompulsoryInsurance, Item, VehicleTax
from portal.models import DrivingLicence
from tests import factories
from tests.certificates.conftest import D, on, upload_medical

pytestmark = pytest.mark.django_db


def messages(item, user, city, day, **subject):
    with on(day):
        return [r.message for r in services.refusals(item, user, city, **subject)]


@pytest.fixture
def expiring(citizen, licence_of):
    return licence_of(citizen, valid_from=D(2020, 9, 1), valid_until=D(2026, 9, 1))


def test_renewal_opens_90_days_before_expiry_not_91(citizen, has, expiring, doctor):
    upload_medical(doctor, citizen, D(2026, 5, 20))
    assert any("90" in m for m in messages(Item.LICENCE_RENEWAL, citizen, has, D(2026, 6, 2), licence=expiring))
    assert messages(Item.LICENCE_RENEWAL, citizen, has, D(2026, 6, 3), licence=expiring) == []


def test_renewal_online_up_to_11_months_after_expiry_not_12(citizen, has, expiring, doctor):
    upload_medical(doctor, citizen, D(2027, 7, 1))
    assert messages(Item.LICENCE_RENEWAL, citizen, has, D(2027, 8, 1), licence=expiring) == []
    late = messages(Item.LICENCE_RENEWAL, citizen, has, D(2027, 9, 1), licence=expiring)
    assert len(late) == 1 and "11" in late[0]
    # one day past 11 months is already too late online
    assert messages(Item.LICENCE_RENEWAL, citizen, has, D(2027, 8, 2), licence=expiring) != []


def test_a_medical_certificate_is_valid_6_months_to_the_day(citizen, has, expiring, doctor):
    upload_medical(doctor, citizen, D(2026, 2, 1))
    assert selectors.newest_valid_medical(citizen.id_number, D(2026, 8, 1)) is not None
    assert selectors.newest_valid_medical(citizen.id_number, D(2026, 8, 2)) is None
    assert messages(Item.LICENCE_RENEWAL, citizen, has, D(2026, 8, 1), licence=expiring) == []
    refused = messages(Item.LICENCE_RENEWAL, citizen, has, D(2026, 8, 2), licence=expiring)
    assert len(refused) == 1 and "身体条件证明" in refused[0]


def test_renewal_uses_the_newest_certificate_that_lists_the_class(citizen, has, licence_of, doctor):
    licence = licence_of(citizen, licence_class="A1", valid_from=D(2020, 9, 1), valid_until=D(2026, 9, 1))
    upload_medical(doctor, citizen, D(2026, 7, 1))  # C1, C2 only
    assert any("A1" in m for m in messages(Item.LICENCE_RENEWAL, citizen, has, D(2026, 7, 2), licence=licence))
    upload_medical(doctor, citizen, D(2026, 7, 2), classes_fit=["A1", "C1"])
    assert messages(Item.LICENCE_RENEWAL, citizen, has, D(2026, 7, 3), licence=licence) == []


def test_an_unfit_conclusion_is_not_a_valid_certificate(citizen, doctor):
    upload_medical(doctor, citizen, D(2026, 7, 1), conclusion="unfit", classes_fit=[])
    assert selectors.newest_valid_medical(citizen.id_number, D(2026, 7, 2)) is None


def test_long_term_cancelled_seized_licences_say_why_and_where(citizen, has, licence_of):
    long_term = licence_of(citizen, valid_until=None)
    assert "long-term" in messages(Item.LICENCE_RENEWAL, citizen, has, D(2026, 7, 1), licence=long_term)[0] or (
        "长期" in messages(Item.LICENCE_RENEWAL, citizen, has, D(2026, 7, 1), licence=long_term)[0]
    )
    for status in (DrivingLicence.Status.SEIZED, DrivingLicence.Status.SUSPENDED):
        held = licence_of(citizen, status=status)
        with on(D(2026, 7, 1)):
            refused = services.refusals(Item.LICENCE_REPLACEMENT, citizen, has, licence=held)
        assert len(refused) == 1 and refused[0].where
    normal = licence_of(citizen)
    assert messages(Item.LICENCE_REPLACEMENT, citizen, has, D(2026, 7, 1), licence=normal) == []


def test_the_mark_opens_3_months_before_expiry_not_3_months_and_a_day(citizen, has, exempt_car):
    # validity ends 2026-03-31: the window opens 2025-12-31
    early = messages(Item.INSPECTION_MARK, citizen, has, D(2025, 12, 30), vehicle=exempt_car)
    assert len(early) == 1 and "2025-12-31" in early[0]
    assert messages(Item.INSPECTION_MARK, citizen, has, D(2025, 12, 31), vehicle=exempt_car) == []
    assert messages(Item.INSPECTION_MARK, citizen, has, D(2026, 3, 31), vehicle=exempt_car) == []
    assert messages(Item.INSPECTION_MARK, citizen, has, D(2026, 4, 1), vehicle=exempt_car) != []


def test_the_mark_needs_valid_compulsory_insurance(citizen, has, exempt_car):
    CompulsoryInsurance.objects.filter(vehicle=exempt_car).update(valid_until=D(2026, 1, 31))
    refused = messages(Item.INSPECTION_MARK, citizen, has, D(2026, 2, 1), vehicle=exempt_car)
    assert len(refused) == 1 and "交强险" in refused[0]


def test_the_mark_needs_the_vehicle_tax_of_every_year_since_the_last_inspection(citizen, has, exempt_car):
    # Validity 2024-03-31 to 2026-03-31, policy bought 2025-06-01: tax years 2024 and 2025.
    VehicleTax.objects.filter(vehicle=exempt_car, tax_year=2024).delete()
    refused = messages(Item.INSPECTION_MARK, citizen, has, D(2026, 2, 1), vehicle=exempt_car)
    assert len(refused) == 1 and "车船税" in refused[0] and "2024" in refused[0] and "2025" not in refused[0]
    # An exemption (减免税证明) counts as settled, as the law says ("纳税或者免税证明").
    VehicleTax.objects.create(
        vehicle=exempt_car, tax_year=2024, status=VehicleTax.Status.EXEMPT, certificate_number="JM2024"
    )
    assert messages(Item.INSPECTION_MARK, citizen, has, D(2026, 2, 1), vehicle=exempt_car) == []


def test_a_policy_bought_this_year_needs_this_years_tax_too(citizen, has, exempt_car):
    CompulsoryInsurance.objects.create(
        vehicle=exempt_car,
        policy_number="PDZA2026",
        insurer="人保财险",
        valid_from=D(2026, 1, 5),
        valid_until=D(2027, 1, 4),
    )
    refused = messages(Item.INSPECTION_MARK, citizen, has, D(2026, 2, 1), vehicle=exempt_car)
    assert len(refused) == 1 and "2026" in refused[0]


def test_the_mark_is_only_for_inspection_exempt_cars(citizen, has):
    # registered 2020: the 6-year inspection in 2026 is on site
    car = factories.VehicleFactory(
        owner_id_number=citizen.id_number, city=has, registered_on=D(2020, 3, 1), inspection_valid_until=D(2026, 3, 31)
    )
    CompulsoryInsurance.objects.create(
        vehicle=car, policy_number="PDZA9", insurer="人保财险", valid_from=D(2025, 6, 1), valid_until=D(2026, 5, 31)
    )
    for year in (2024, 2025):
        VehicleTax.objects.create(vehicle=car, tax_year=year, certificate_number=f"T9{year}")
    refused = messages(Item.INSPECTION_MARK, citizen, has, D(2026, 2, 1), vehicle=car)
    assert len(refused) == 1 and "2026-03-31" in refused[0]


def test_someone_elses_vehicle_or_licence_is_refused(citizen, other_citizen, has, car, licence_of):
    assert messages(Item.PLATES, other_citizen, has, D(2026, 7, 1), vehicle=car) != []
    theirs = licence_of(other_citizen)
    assert messages(Item.LICENCE_REPLACEMENT, citizen, has, D(2026, 7, 1), licence=theirs) != []


def test_plates_come_from_the_registration_city(citizen, has, szv, car):
    refused = messages(Item.PLATES, citizen, szv, D(2026, 7, 1), vehicle=car)
    assert len(refused) == 1 and car.city.name in refused[0]


def test_the_choose_page_lists_what_is_missing_and_where_to_go(citizen_client, citizen, expiring, institution):
    with on(D(2026, 7, 1)):
        page = citizen_client.get("/certificates/apply/licence-renewal/").content.decode()
    assert "身体条件证明" in page and institution.name in page


def test_a_clear_refusal_keeps_days_in_the_local_zone(citizen, has, expiring, doctor):
    """Late in the evening of the 91st day before expiry it is still that day in Beijing time."""
    upload_medical(doctor, citizen, D(2026, 5, 20))
    with on(D(2026, 6, 2), 23, 30):
        assert services.refusals(Item.LICENCE_RENEWAL, citizen, has, licence=expiring) != []
    assert datetime.timedelta(days=91) == D(2026, 9, 1) - D(2026, 6, 2)


def test_an_unsettled_violation_blocks_the_mark_until_it_is_settled(citizen, has, exempt_car, clerk_has):
    """A real violation record made through the violations app (no mock of its selector)."""
    from violations import services as violation_services
    from violations.models import ViolationCode

    assert messages(Item.INSPECTION_MARK, citizen, has, D(2026, 2, 1), vehicle=exempt_car) == []
    with on(D(2026, 1, 20)):
        violation = violation_services.violation_record(
            vehicle=exempt_car,
            code=ViolationCode.objects.get(code="1625"),
            occurred_at=timezone.now() - datetime.timedelta(days=2),
            place="淮海东路与健康西路路口",
            fine=None,
            source="camera",
            entered_at=timezone.now(),
        )
    refused = messages(Item.INSPECTION_MARK, citizen, has, D(2026, 2, 1), vehicle=exempt_car)
    assert len(refused) == 1 and exempt_car.plate_number in refused[0]
    with on(D(2026, 2, 1)):
        violation_services.violation_delete(violation, reason="录入错误", by=clerk_has)
    assert messages(Item.INSPECTION_MARK, citizen, has, D(2026, 2, 2), vehicle=exempt_car) == []
