"""The two certificate paths bench/certificates measures do a fixed, small number of queries:
a submission (64 citizens at once) and the clerk's review queue over 100,000 open cases."""

from django.utils import timezone

from certificates import services
from certificates.admin import _tab_counts
from certificates.models import Application
from tests import factories
from tests.conftest import last_code


def test_a_submission_is_one_read_of_the_car_and_the_account_one_code_update_and_the_writes(
    citizen_client, citizen, car, django_assert_max_num_queries
):
    url = f"/certificates/apply/vehicle-licence/{car.pk}/"
    citizen_client.get(url)
    services.send_code(citizen)
    data = {
        "kind": "replace",
        "delivery": "post",
        "recipient_name": citizen.real_name,
        "recipient_phone": citizen.mobile,
        "address": "江苏省淮安市清江浦区健康东路 1 号",
        "code": last_code(citizen.mobile),
    }
    # The car with the account's mobile (1); in the transaction: the code checked and spent by one
    # conditional UPDATE (1), the case, its history row and first step (3), the notice (1, prepared
    # once per connection: 2), and the test's own savepoint around it all (2).
    with django_assert_max_num_queries(9) as captured:
        assert citizen_client.post(url, data).status_code == 302
    assert Application.objects.filter(vehicle=car, status="submitted").count() == 1
    # The applicant's ID number is the car's owner's (the car was found by its hash): the account's
    # own encrypted copy is neither read nor decrypted; its mobile is the one column read from it.
    (read,) = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")]
    assert 'U0."mobile"' in read and 'U0."id_number"' not in read and " ORDER BY " not in read


def test_the_review_queue_is_three_queries_however_long(client, clerk_has, has, django_assert_max_num_queries):
    from certificates import sql

    sql.seed_open_cases(city=has, applicant=factories.UserFactory(), count=60, tag="QCOUNT01")
    client.defaults["HTTP_HOST"] = "has.localhost"
    client.force_login(clerk_has)
    client.get("/admin/certificates/application/queue/")  # the tabs' counts are cached for 30 s
    # The clerk's profile and city (the site's permission check) and one page of the queue.
    with django_assert_max_num_queries(3):
        page = client.get("/admin/certificates/application/queue/").content.decode()
    assert page.count('data-testid="queue-row"') == 25
    assert _tab_counts(has, timezone.localdate())["under_review"][0] == "60"
