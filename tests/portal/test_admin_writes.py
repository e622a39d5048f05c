"""Nothing in the admin writes without the change permission: the history "revert" form included."""

import pytest

from portal.models import ClerkProfile, MedicalInstitution, Office
from tests import factories


@pytest.fixture
def institution(has):
    inst = MedicalInstitution.objects.create(city=has, name="淮安市第一人民医院", licence_number="PDY-001")
    inst.name = "淮安市第一人民医院（体检中心）"
    inst.save()  # a second history row to "revert" to
    return inst


def _revert_post(client, url):
    form = client.get(url).context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items()}
    return data


def test_a_view_only_clerk_cannot_deactivate_an_institution_through_the_revert_form(client, clerk_has, institution):
    client.force_login(clerk_has)
    client.defaults["HTTP_HOST"] = "has.localhost"
    version = institution.history.order_by("history_id").first().history_id
    url = f"/admin/portal/medicalinstitution/{institution.pk}/history/{version}/"
    page = client.get(url)
    assert page.status_code == 200  # looking at an old version is what view rights are for
    data = _revert_post(client, url)
    data.update(city=institution.city_id, is_active="", name="改名")
    response = client.post(url, data)
    assert response.status_code == 403
    institution.refresh_from_db()
    assert institution.is_active and institution.name == "淮安市第一人民医院（体检中心）"
    assert institution.history.count() == 2


@pytest.mark.parametrize("model", ["office", "clerkprofile"])
def test_offices_and_clerk_profiles_are_not_writable_through_history_either(client, clerk_has, has, model):
    if model == "office":
        obj = Office.objects.create(city=has, name="淮安车管所", phone="0517-1")
    else:
        obj = ClerkProfile.objects.get(user=clerk_has)
    version = obj.history.order_by("-history_id").first().history_id
    client.force_login(clerk_has)
    response = client.post(
        f"/admin/portal/{model}/{obj.pk}/history/{version}/", {"city": has.pk}, HTTP_HOST="has.localhost"
    )
    assert response.status_code == 403
    assert obj.history.count() == 1


def test_a_province_administrator_may_still_revert(client, has, institution):
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    client.defaults["HTTP_HOST"] = "has.localhost"
    version = institution.history.order_by("history_id").first().history_id
    url = f"/admin/portal/medicalinstitution/{institution.pk}/history/{version}/"
    data = _revert_post(client, url)
    data.update(city=institution.city_id, is_active="on")
    response = client.post(url, data)
    assert response.status_code == 302
    institution.refresh_from_db()
    assert institution.name == "淮安市第一人民医院"


def test_a_history_form_with_a_bad_version_or_of_a_model_without_history_is_a_404(client, has, institution):
    admin = factories.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    client.defaults["HTTP_HOST"] = "has.localhost"
    assert client.get(f"/admin/portal/medicalinstitution/{institution.pk}/history/abc/").status_code == 404
    assert client.get("/admin/portal/medicalinstitution/abc/history/1/").status_code == 404
    # PlateNumber keeps no history (millions of rows): its history pages are not there.
    assert client.get("/admin/plates/platenumber/1/history/1/").status_code == 404
