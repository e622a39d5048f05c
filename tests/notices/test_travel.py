"""Travel information (出行信息, docs/rules.md §6.3): the public page lists what is in force or
coming and drops a notice once its end has passed; subscribers of the road or district are told
when one is published or changed; the calendar feeds carry them."""

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notices import own_kinds, services
from notices.models import Delivery, Notice, Preference, TravelAdvisory, TravelSubscription
from portal import identity
from tests import factories
from tests.conftest import city_client
from tests.notices.conftest import at

pytestmark = pytest.mark.django_db


def advisory(city, clerk, *, road="淮海东路", district="清江浦区", starts=None, ends=None, **extra):
    a = TravelAdvisory(
        city=city,
        kind=extra.pop("kind", "road_works"),
        road=road,
        district=district,
        section="健康路口至环城路口",
        starts_at=starts or at("2027-03-01", 8),
        ends_at=ends or at("2027-03-10", 18),
        detour="经健康西路绕行",
        **extra,
    )
    services.advisory_save(a, by=clerk)
    return a


def test_page_lists_in_force_and_coming_and_drops_what_ended(has_client, has, clerk_has):
    advisory(has, clerk_has, road="淮海东路", starts=at("2027-03-01", 8), ends=at("2027-03-10", 18))
    advisory(has, clerk_has, road="翔宇大道", starts=at("2027-04-01", 8), ends=at("2027-04-02", 18))
    with time_machine.travel(at("2027-03-10", 17, 59), tick=False):
        body = has_client.get("/notices/travel/").content.decode()
        assert "淮海东路" in body and "翔宇大道" in body
    with time_machine.travel(at("2027-03-10", 18, 0), tick=False):  # its end: gone
        body = has_client.get("/notices/travel/").content.decode()
        assert "淮海东路" not in body and "翔宇大道" in body
    with time_machine.travel(at("2027-04-03"), tick=False):
        assert b'data-testid="travel-none"' in has_client.get("/notices/travel/").content


def test_unpublished_and_other_cities_are_not_listed(has_client, has, szv, clerk_has, clerk_szv):
    advisory(has, clerk_has, road="草稿路", published=False)
    advisory(szv, clerk_szv, road="干将路")
    with time_machine.travel(at("2027-03-02"), tick=False):
        body = has_client.get("/notices/travel/").content.decode()
    assert "草稿路" not in body and "干将路" not in body


def test_district_filter(has_client, has, clerk_has):
    advisory(has, clerk_has, road="淮海东路", district="清江浦区")
    advisory(has, clerk_has, road="北京西路", district="淮阴区")
    with time_machine.travel(at("2027-03-02"), tick=False):
        body = has_client.get("/notices/travel/", {"district": "淮阴区"}).content.decode()
    assert "北京西路" in body and "淮海东路" not in body


def test_subscribers_of_road_or_district_are_told_once(has, clerk_has):
    road_fan, district_fan, both, stranger = (factories.UserFactory() for _ in range(4))
    services.subscription_add(user=road_fan, city=has, road="淮海 东路")  # spaces do not matter
    services.subscription_add(user=district_fan, city=has, district="清江浦区")
    services.subscription_add(user=both, city=has, road="淮海东路")
    services.subscription_add(user=both, city=has, district="清江浦区")
    services.subscription_add(user=stranger, city=has, road="翔宇大道")
    with time_machine.travel(at("2027-02-20"), tick=False):
        a = advisory(has, clerk_has)
    told = Notice.objects.filter(kind=own_kinds.TRAVEL_PUBLISHED)
    assert sorted(told.values_list("id_number", flat=True)) == sorted(
        u.id_number for u in (road_fan, district_fan, both)
    )
    assert told.first().context["detour"] == "经健康西路绕行"
    # A change of the times is news; a changed description is not.
    with time_machine.travel(at("2027-02-21"), tick=False):
        a.ends_at = at("2027-03-12", 18)
        services.advisory_save(a, by=clerk_has, changed_fields=["ends_at"])
        a.description = "补充说明"
        services.advisory_save(a, by=clerk_has, changed_fields=["description"])
    changed = Notice.objects.filter(kind=own_kinds.TRAVEL_CHANGED)
    assert changed.count() == 3 and changed.first().context["ends"] == "2027-03-12 18:00"
    assert TravelAdvisory.history.filter(id=a.pk).count() == 3


def test_delivery_follows_preferences(has, clerk_has):
    sms_off, default = factories.UserFactory(), factories.UserFactory()
    for user in (sms_off, default):
        services.subscription_add(user=user, city=has, road="淮海东路")
    Preference.objects.create(user=sms_off, kind=own_kinds.TRAVEL_PUBLISHED, sms=False, push=True)
    with time_machine.travel(at("2027-02-20"), tick=False):
        advisory(has, clerk_has)
        services.dispatch_new()
    channels = {(d.user_id, d.channel) for d in Delivery.objects.all()}
    assert (default.pk, "sms") in channels and (sms_off.pk, "sms") not in channels
    assert (sms_off.pk, "push") in channels


def test_nothing_for_an_ended_or_unpublished_notice(has, clerk_has):
    services.subscription_add(user=factories.UserFactory(), city=has, road="淮海东路")
    with time_machine.travel(at("2027-04-01"), tick=False):
        advisory(has, clerk_has)  # already over
        advisory(has, clerk_has, published=False, ends=at("2027-05-01"))
    assert not Notice.objects.exists()


def test_end_before_start_refused(has, clerk_has):
    with pytest.raises(services.TravelError):
        advisory(has, clerk_has, starts=at("2027-03-02"), ends=at("2027-03-01"))


def test_feeds_carry_them(citizen_client, citizen, has, clerk_has):
    services.subscription_add(user=citizen, city=has, road="淮海东路")
    advisory(has, clerk_has, road="淮海东路")
    advisory(has, clerk_has, road="翔宇大道")
    with time_machine.travel(at("2027-03-02"), tick=False):
        public = citizen_client.get("/notices/travel/travel.ics").content.decode()
        assert public.count("BEGIN:VEVENT") == 2 and "DTEND:20270310T100000Z" in public
        citizen_client.get("/notices/preferences/")
        from notices.models import CalendarFeed

        mine = citizen_client.get(f"/notices/calendar/{CalendarFeed.objects.get(user=citizen).token}.ics")
        body = mine.content.decode()
    assert "淮海东路" in body and "翔宇大道" not in body


def test_subscriptions_page_and_removal_scoped_to_owner(citizen_client, citizen, client, has):
    response = citizen_client.post("/notices/travel/follow/", {"road": "淮海东路", "district": "清江浦区"})
    assert response.status_code == 200 and not TravelSubscription.objects.exists()
    assert citizen_client.post("/notices/travel/follow/", {"road": "淮海东路"}).status_code == 302
    sub = TravelSubscription.objects.get()
    assert (sub.user, sub.road, sub.city) == (citizen, "淮海东路", has)
    assert citizen_client.post("/notices/travel/follow/", {"road": "淮海东路"}).status_code == 200  # already
    other = city_client(client, "has")
    other.force_login(factories.UserFactory())
    assert other.post(f"/notices/travel/follow/{sub.pk}/remove/").status_code == 404
    assert TravelSubscription.objects.filter(pk=sub.pk).exists()
    citizen_client.force_login(citizen)
    assert citizen_client.post(f"/notices/travel/follow/{sub.pk}/remove/").status_code == 302
    assert not TravelSubscription.objects.exists()
    assert TravelSubscription.history.filter(id=sub.pk, history_type="-").exists()


def test_clerk_publishes_in_the_admin(client, has, clerk_has):
    fan = factories.UserFactory()
    services.subscription_add(user=fan, city=has, district="清江浦区")
    staff = city_client(client, "has")
    staff.force_login(clerk_has)
    data = {
        "city": has.pk,
        "kind": "event",
        "district": "清江浦区",
        "road": "健康东路",
        "section": "",
        "starts_at_0": "2027-05-01",
        "starts_at_1": "07:00",
        "ends_at_0": "2027-05-01",
        "ends_at_1": "12:00",
        "detour": "绕行",
        "description": "马拉松",
        "published": "on",
    }
    with time_machine.travel(at("2027-04-20"), tick=False):
        bad = staff.post("/admin/notices/traveladvisory/add/", {**data, "ends_at_1": "06:00"})
        assert bad.status_code == 200 and not TravelAdvisory.objects.exists()
        assert staff.post("/admin/notices/traveladvisory/add/", data).status_code == 302
    assert Notice.objects.filter(
        id_number_hash=identity.id_key(fan.id_number), kind=own_kinds.TRAVEL_PUBLISHED
    ).exists()


TEXT = st.one_of(st.sampled_from(["", " ", "\x00", "A" * 100, "淮海东路", "{road}", "%(x)s"]), st.text(max_size=40))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(road=TEXT, district=TEXT, pk=st.integers(min_value=0, max_value=10**19))
def test_hostile_input_never_500(citizen_client, road, district, pk):
    citizen_client.raise_request_exception = True
    assert citizen_client.post("/notices/travel/follow/", {"road": road, "district": district}).status_code in (
        200,
        302,
    )
    assert citizen_client.get("/notices/travel/", {"district": district}).status_code == 200
    assert citizen_client.post(f"/notices/travel/follow/{pk}/remove/").status_code == 404
    TravelSubscription.objects.all().delete()


def test_admin_refuses_a_road_that_is_empty_once_normalised(client, has, clerk_has):
    staff = city_client(client, "has")
    staff.force_login(clerk_has)
    data = {
        "city": has.pk,
        "kind": "control",
        "district": "清江浦区",
        "road": "\u200b\x01",
        "starts_at_0": "2027-05-01",
        "starts_at_1": "07:00",
        "ends_at_0": "2027-05-01",
        "ends_at_1": "12:00",
        "published": "on",
    }
    response = staff.post("/admin/notices/traveladvisory/add/", data)
    assert response.status_code == 200 and not TravelAdvisory.objects.exists()
