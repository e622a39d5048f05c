"""Binding other drivers (limits, SMS approval, revocation) and the watch list's triggers."""

import datetime
import io

import pytest
from PIL import Image

from portal import identity
from tests.conftest import last_code
from tests.violations.conftest import D, at, on
from violations import services
from violations.models import Binding, Violation, WatchEntry
from violations.services import objections

pytestmark = pytest.mark.django_db


def ask(driver, vehicle, engine=None):
    return services.binding_request(
        user=driver,
        plate_type=vehicle.plate_type,
        plate_number=vehicle.plate_number,
        engine_last6=(engine or vehicle.engine_number[-6:]),
        relationship="friend",
    )


def test_request_needs_the_engine_number_and_the_owner_approves(person, car):
    owner, driver = person(), person()
    vehicle = car(owner)
    with pytest.raises(services.ViolationError):
        ask(driver, vehicle, engine="000000")
    binding = ask(driver, vehicle)
    assert binding.status == "requested"
    services.binding_approve(binding, owner=owner)
    binding.refresh_from_db()
    assert binding.status == "active" and binding.approved_at is not None
    with pytest.raises(services.ViolationError):
        services.binding_approve(binding, owner=driver)


def test_the_third_driver_besides_the_owner_is_refused(person, car):
    owner = person()
    vehicle = car(owner)
    first, second, third = person(), person(), person()
    for driver in (first, second):
        services.binding_approve(ask(driver, vehicle), owner=owner)
    with pytest.raises(services.ViolationError) as exc:
        ask(third, vehicle)
    assert "2" in exc.value.message
    # A request made before the limit was reached cannot be approved past it either.
    services.binding_revoke(Binding.objects.get(driver_id_number_hash=identity.id_key(second.id_number)), user=owner)
    pending = ask(third, vehicle)
    services.binding_approve(ask(second, vehicle), owner=owner)
    with pytest.raises(services.ViolationError):
        services.binding_approve(pending, owner=owner)


def test_a_driver_registers_at_most_three_non_owned_vehicles(person, car):
    driver = person()
    vehicles = [car(person()) for _ in range(4)]
    for vehicle in vehicles[:3]:
        services.binding_approve(ask(driver, vehicle), owner=_owner(vehicle))
    with pytest.raises(services.ViolationError) as exc:
        ask(driver, vehicles[3])
    assert "3" in exc.value.message


def _owner(vehicle):
    from portal.models import User

    return User.objects.get(id_number_hash=identity.id_key(vehicle.owner_id_number))


def test_owner_approves_with_an_sms_code_on_the_page_and_revokes(client, person, car):
    owner, driver = person(), person()
    vehicle = car(owner)
    binding = ask(driver, vehicle)
    client.defaults["HTTP_HOST"] = "has.localhost"
    client.force_login(owner)
    client.post(f"/violations/bindings/{binding.pk}/approve/", {"send_code": "1"})
    client.post(f"/violations/bindings/{binding.pk}/approve/", {"confirm": "1", "code": last_code(owner.mobile)})
    binding.refresh_from_db()
    assert binding.status == "active"
    client.post(f"/violations/bindings/{binding.pk}/revoke/")
    binding.refresh_from_db()
    assert binding.status == "revoked"
    # The driver cannot approve or see someone else's request page.
    other = ask(driver, vehicle)
    client.force_login(driver)
    assert client.get(f"/violations/bindings/{other.pk}/approve/").status_code == 404


def test_one_driver_handling_three_non_owned_plates_is_watched_and_stopped(person, car, record, bind):
    driver = person()
    vehicles = [car(person()) for _ in range(4)]
    for vehicle in vehicles:
        bind(vehicle, driver, approved_at=at(D(2026, 6, 1)))
    with on(D(2026, 7, 2)):
        records = [record(v, code_value="1344", fine="100", when=at(D(2026, 7, 1))) for v in vehicles]
        for r in records[:2]:
            services.violation_handle([r.pk], user=driver)
        assert not WatchEntry.objects.exists()
        services.violation_handle([records[2].pk], user=driver)
        assert WatchEntry.objects.filter(id_number_hash=identity.id_key(driver.id_number)).exists()
        with pytest.raises(services.ViolationError) as exc:
            services.violation_handle([records[3].pk], user=driver)
    assert "watch list" in exc.value.message or "重点" in exc.value.message
    assert Violation.objects.get(pk=records[3].pk).status == "unhandled"


def test_three_drivers_handling_one_plate_put_the_vehicle_on_the_list_until_a_clerk_clears_it(
    person, car, record, bind, clerk_has
):
    owner = person()
    vehicle = car(owner)
    drivers = [person() for _ in range(2)]
    for driver in drivers:
        bind(vehicle, driver, approved_at=at(D(2026, 6, 1)))
    with on(D(2026, 7, 2)):
        records = [record(vehicle, code_value="1344", fine="100", when=at(D(2026, 7, 1), 8 + i)) for i in range(4)]
        services.violation_handle([records[0].pk], user=owner)
        services.violation_handle([records[1].pk], user=drivers[0])
        services.violation_handle([records[2].pk], user=drivers[1])
        entry = WatchEntry.objects.get(vehicle=vehicle)
        with pytest.raises(services.ViolationError):
            services.violation_handle([records[3].pk], user=owner)
        with pytest.raises(services.ViolationError):
            services.watch_clear(entry, reason="", by=clerk_has)
        services.watch_clear(entry, reason="车主到窗口说明为家庭成员共用", by=clerk_has)
        services.violation_handle([records[3].pk], user=owner)
    entry.refresh_from_db()
    assert entry.cleared_by == clerk_has and entry.cleared_reason


def test_frequent_binding_and_unbinding_lists_the_vehicle(person, car):
    owner, driver = person(), person()
    vehicle = car(owner)
    for _ in range(3):
        binding = ask(driver, vehicle)
        services.binding_approve(binding, owner=owner)
        services.binding_revoke(binding, user=owner)
    assert WatchEntry.objects.filter(vehicle=vehicle, reason="binding_changes").exists()


def _png(size=(8, 8)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, "PNG")
    buffer.seek(0)
    buffer.name, buffer.size = "photo.png", len(buffer.getvalue())
    return buffer


class _Upload(io.BytesIO):
    def __init__(self, data, name):
        super().__init__(data)
        self.name, self.size = name, len(data)


def test_objection_photos_are_checked_by_content_and_served_only_to_the_filer_and_clerks(
    client, person, car, record, clerk_has, clerk_szv
):
    owner = person()
    vehicle = car(owner)
    violation = record(vehicle, when=datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1))
    with pytest.raises(services.ViolationError):
        objections.objection_file(
            violation, user=owner, reason="号牌被套用", photos=[_Upload(b"not an image", "x.jpg")]
        )
    with pytest.raises(services.ViolationError):
        objections.objection_file(
            violation,
            user=owner,
            reason="号牌被套用",
            photos=[_Upload(b"\x89PNG" + b"0" * (2 * 1024 * 1024), "big.png")],
        )
    objection = objections.objection_file(violation, user=owner, reason="号牌被套用", photos=[_png()])
    photo = objection.photos.get()
    client.defaults["HTTP_HOST"] = "has.localhost"
    url = f"/violations/photo/{photo.token}/"
    client.force_login(person())
    assert client.get(url).status_code == 404
    client.force_login(clerk_szv)
    assert client.get(url).status_code == 404
    client.force_login(clerk_has)
    assert client.get(url)["Content-Type"] == "image/png"
    client.force_login(owner)
    assert client.get(url).status_code == 200


def test_an_upheld_objection_deletes_the_record_with_the_reason(person, car, record, clerk_has):
    owner = person()
    vehicle = car(owner)
    with on(D(2026, 9, 30)):  # before the National Day holidays: 5 working days run to 12 October
        violation = record(vehicle, when=at(D(2026, 9, 29)))
        objection = objections.objection_file(violation, user=owner, reason="车辆当时在外地")
    assert objection.due_on > D(2026, 10, 7)
    assert Violation.objects.get(pk=violation.pk).status == "objected"
    objections.objection_decide(objection, upheld=True, note="套牌属实", by=clerk_has)
    violation.refresh_from_db()
    assert violation.status == "deleted" and "套牌属实" in violation.deleted_reason


def test_a_rejected_objection_puts_the_record_back(person, car, record, clerk_has):
    owner = person()
    vehicle = car(owner)
    violation = record(vehicle, when=datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1))
    objection = objections.objection_file(violation, user=owner, reason="看不清")
    objections.objection_decide(objection, upheld=False, note="照片清晰", by=clerk_has)
    assert Violation.objects.get(pk=violation.pk).status == "unhandled"
