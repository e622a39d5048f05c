"""Who may see and change what: every URL that shows or changes a record, for every persona.

The matrix is complete by construction: test_every_url_has_a_row walks Django's URL resolver and
fails for a URL name that has no row here. Adding an app's URLs (violations, certificates) means
adding its rows to CITIZEN_ROWS and its admin models to ADMIN_MODELS (and custom admin views to
ADMIN_EXTRA), each with the objects it needs (a builder of tests/portal/access_builders.py
taking the `World`).

Personas, all on Huai'an's site (has.localhost) unless stated: `anon`; `owner`, a citizen who
owns the records; `other`, another citizen; `clerk_has`, a Huai'an clerk, whose rights on each
admin model are what ADMIN_MODELS declares ("view": view-only, "change": may change, "add":
may also add, "none": no access); `clerk_szv`, a Suzhou clerk (whose admin is their own city's
site only); `province`, a province administrator. Expected answers: OK (200, or a redirect that
is not to the login page), LOGIN (a redirect to a login page), NF (404), NO (403), and for
callbacks BAD (400/403/404: refused without a change).
"""

import datetime
from dataclasses import dataclass, field

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from portal import identity
from portal.models import CitySetting, Holiday, MedicalInstitution
from tests import factories
from tests.portal.access_builders import (
    World,
    build_accident,
    build_announcement,
    build_application,
    build_article,
    build_binding,
    build_decision,
    build_deferral,
    build_document,
    build_exam_request,
    build_feed,
    build_hold,
    build_inspection,
    build_medical,
    build_notice,
    build_objection,
    build_owner_car,
    build_payment,
    build_plan,
    build_question,
    build_selection,
    build_shipment,
    build_travel_advisory,
    build_travel_subscription,
    build_unit_staff,
    build_violation,
)

OK, LOGIN, NF, NO, BAD = "OK", "LOGIN", "NF", "NO", "BAD"
PERSONAS = ("anon", "owner", "other", "clerk_has", "clerk_szv", "province")


def _outcome(response) -> str:
    code = response.status_code
    if code in (301, 302, 303):
        return LOGIN if "/login/" in response.get("Location", "") else OK
    if code in (200, 204):
        return OK
    if code == 404:
        return NF
    if code == 403:
        return NO
    if code in (400, 405, 429):
        return BAD
    raise AssertionError(f"unexpected status {code}")


@dataclass
class Row:
    """One URL: how to build its address, and what each persona gets (GET, and POST if given)."""

    url: object  # callable(World) -> path
    get: dict  # persona -> expected outcome
    post: dict | None = None
    data: dict = field(default_factory=dict)


def every(outcome, **overrides) -> dict:
    return {**dict.fromkeys(PERSONAS, outcome), **overrides}


def own(**overrides) -> dict:
    """A citizen's own record: the owner only; everyone else is not told it exists."""
    return {**every(NF), "anon": LOGIN, "owner": OK, **overrides}


def post_only(**overrides) -> dict:
    """GET of a POST-only address: the login page first, then 405 (refused, nothing done)."""
    return {**every(BAD), "anon": LOGIN, **overrides}


def signed_in(**overrides) -> dict:
    return {**every(OK), "anon": LOGIN, **overrides}


# --- Citizen pages and callbacks ------------------------------------------------------------
CITIZEN_ROWS = {
    # Payments: the payer, the city's clerks (result and receipt), province administrators.
    "pay:result": Row(
        lambda w: reverse("pay:result", args=[build_payment(w).order_number]), own(clerk_has=OK, province=OK)
    ),
    "pay:receipt": Row(
        lambda w: reverse("pay:receipt", args=[build_payment(w).order_number]), own(clerk_has=OK, province=OK)
    ),
    "pay:receipt_pdf": Row(
        lambda w: reverse("pay:receipt_pdf", args=[build_payment(w).order_number]), own(clerk_has=OK, province=OK)
    ),
    # The cashier: the payer only (paid orders are not payable: the page says so).
    "pay:sandbox_cashier": Row(
        lambda w: reverse("pay:sandbox_cashier", args=[build_payment(w).order_number]),
        own(),
        post=own(owner=OK),
        data={"action": "cancel"},
    ),
    "pay:notify": Row(lambda w: reverse("pay:notify"), every(BAD), post=every(BAD), data={"out_trade_no": "x"}),
    # Tracking by number is public as couriers offer it (masked); moving it is the city's staff.
    "postal:track": Row(lambda w: reverse("postal:track", args=[build_shipment(w).tracking_number]), every(OK)),
    "postal:sandbox": Row(
        lambda w: reverse("postal:sandbox", args=[build_shipment(w).tracking_number]),
        every(NF, clerk_has=OK, province=OK),
        post=every(NF, clerk_has=OK, province=OK),
        data={"status": "nonsense"},
    ),
    "postal:webhook": Row(lambda w: reverse("postal:webhook"), every(BAD), post=every(BAD), data={"x": "1"}),
    # Plates: the citizen's own selection and hold.
    "plates:start": Row(lambda w: reverse("plates:start"), signed_in()),
    "plates:blocks": Row(lambda w: reverse("plates:blocks"), every(OK)),
    "plates:verify": Row(lambda w: reverse("plates:verify", args=[build_selection(w).pk]), own()),
    "plates:selection": Row(lambda w: reverse("plates:selection", args=[build_selection(w).pk]), own()),
    "plates:draw": Row(lambda w: reverse("plates:draw", args=[build_selection(w).pk]), post_only(), post=own()),
    "plates:backup": Row(
        lambda w: reverse("plates:backup", args=[build_selection(w).pk]),
        post_only(),
        # Not loaded first (a rush path): the claim statement finds no such selection of theirs.
        post=own(),
        data={"batch": "1", "number": "苏HA000A"},
    ),
    "plates:compose": Row(lambda w: reverse("plates:compose", args=[build_selection(w).pk]), own(), post=own()),
    "plates:find": Row(lambda w: reverse("plates:find", args=[build_selection(w).pk]), own()),
    "plates:confirm": Row(
        lambda w: reverse("plates:confirm", args=[build_selection(w).pk]),
        own(),
        post=own(),
        data={"action": "confirm", "number_id": "1"},
    ),
    "plates:hold": Row(lambda w: reverse("plates:hold", args=[build_hold(w).pk]), own()),
    "plates:voucher_pdf": Row(lambda w: reverse("plates:voucher_pdf", args=[build_hold(w).pk]), own()),
    "plates:abandon": Row(lambda w: reverse("plates:abandon", args=[build_hold(w).pk]), post_only(), post=own()),
    "plates:invoice": Row(lambda w: reverse("plates:invoice", args=[build_hold(w).pk]), post_only(), post=own()),
    # Exams.
    "exams:plans": Row(lambda w: reverse("exams:plans"), every(OK)),
    "exams:public": Row(lambda w: reverse("exams:public"), every(OK)),
    "exams:draw": Row(lambda w: reverse("exams:draw", args=[build_plan(w).pk]), every(OK)),
    "exams:request": Row(
        lambda w: reverse("exams:request", args=[build_plan(w).pk]), every(BAD, anon=LOGIN), post=signed_in()
    ),
    "exams:withdraw": Row(lambda w: reverse("exams:withdraw", args=[build_exam_request(w).pk]), own(), post=own()),
    "exams:offer": Row(lambda w: reverse("exams:offer", args=[build_exam_request(w).pk]), own()),
    "exams:permit": Row(lambda w: reverse("exams:permit"), signed_in()),
    "exams:permit_pdf": Row(lambda w: reverse("exams:permit_pdf"), signed_in()),
    # Inspection booking: the owner's cars and bookings only.
    "inspection:start": Row(lambda w: reverse("inspection:start"), every(OK)),
    "inspection:vehicle": Row(lambda w: reverse("inspection:vehicle", args=[build_inspection(w)["car"].pk]), own()),
    "inspection:book": Row(
        lambda w: reverse("inspection:book", args=[build_inspection(w)["car"].pk]),
        post_only(),
        post=own(),
        data={"slot": "1"},
    ),
    "inspection:booking": Row(lambda w: reverse("inspection:booking", args=[build_inspection(w)["booking"].pk]), own()),
    "inspection:move": Row(
        lambda w: reverse("inspection:move", args=[build_inspection(w)["booking"].pk]),
        post_only(),
        post=own(),
        data={"slot": "1"},
    ),
    "inspection:cancel": Row(
        lambda w: reverse("inspection:cancel", args=[build_inspection(w)["booking"].pk]), post_only(), post=own()
    ),
    # Notices.
    "notices:inbox": Row(lambda w: reverse("notices:inbox"), signed_in()),
    "notices:detail": Row(lambda w: reverse("notices:detail", args=[build_notice(w).pk]), own()),
    "notices:preferences": Row(lambda w: reverse("notices:preferences"), signed_in()),
    "notices:calendar_regenerate": Row(
        lambda w: reverse("notices:calendar_regenerate"),
        signed_in(owner=BAD, other=BAD, clerk_has=BAD, clerk_szv=BAD, province=BAD),
        post=signed_in(),
    ),
    # The feed's token is the credential (calendar apps cannot log in).
    "notices:calendar_feed": Row(lambda w: reverse("notices:calendar_feed", args=[build_feed(w).token]), every(OK)),
    "notices:announcements": Row(lambda w: reverse("notices:announcements"), every(OK)),
    "notices:announcement": Row(lambda w: reverse("notices:announcement", args=[build_announcement(w)]), every(OK)),
    "notices:articles": Row(lambda w: reverse("notices:articles"), every(OK)),
    "notices:article": Row(lambda w: reverse("notices:article", args=[build_article(w)]), every(OK)),
    "notices:questions": Row(lambda w: reverse("notices:questions"), every(OK)),
    "notices:question_ask": Row(lambda w: reverse("notices:question_ask"), signed_in()),
    "notices:question": Row(lambda w: reverse("notices:question", args=[build_question(w)]), own(anon=NF)),
    "notices:statistics": Row(lambda w: reverse("notices:statistics"), every(OK)),
    "notices:receipt": Row(lambda w: reverse("notices:receipt", args=["push"]), every(BAD), post=every(BAD)),
    # Violations: the owner's records; a bound driver sees the bound car's records (docs/rules.md §5).
    # Accident quick settlement: the two parties only (owner: party A, driver: party B); photos
    # also for the city's clerks (docs/rules.md §5.7).
    "violations:accident_list": Row(lambda w: reverse("violations:accident_list"), signed_in(driver=OK)),
    "violations:accident_start": Row(lambda w: reverse("violations:accident_start"), signed_in(driver=OK)),
    "violations:accident_join": Row(lambda w: reverse("violations:accident_join"), signed_in(driver=OK)),
    "violations:accident_case": Row(
        lambda w: reverse("violations:accident_case", args=[build_accident(w).pk]), own(driver=OK)
    ),
    "violations:accident_document": Row(
        lambda w: reverse("violations:accident_document", args=[build_accident(w).pk]), own(driver=OK)
    ),
    "violations:accident_document_pdf": Row(
        lambda w: reverse("violations:accident_document_pdf", args=[build_accident(w).pk]), own(driver=OK)
    ),
    "violations:accident_photo": Row(
        lambda w: reverse("violations:accident_photo", args=[build_accident(w).photos.first().token]),
        own(driver=OK, clerk_has=OK, province=OK),
    ),
    "violations:start": Row(lambda w: reverse("violations:start"), every(OK, driver=OK)),
    "violations:handle": Row(lambda w: reverse("violations:handle"), signed_in(driver=OK)),
    "violations:decision": Row(
        lambda w: reverse("violations:decision", args=[build_decision(w).number]), own(driver=NF)
    ),
    "violations:decision_pdf": Row(
        lambda w: reverse("violations:decision_pdf", args=[build_decision(w).number]), own(driver=NF)
    ),
    "violations:pay": Row(
        lambda w: reverse("violations:pay", args=[build_decision(w).number]), post_only(driver=BAD), post=own(driver=NF)
    ),
    "violations:bindings": Row(lambda w: reverse("violations:bindings"), signed_in(driver=OK)),
    # Approving or revoking: the car's owner only (the driver withdraws from their own list).
    "violations:binding_approve": Row(
        lambda w: reverse("violations:binding_approve", args=[build_binding(w).pk]), own(driver=NF)
    ),
    "violations:binding_revoke": Row(
        lambda w: reverse("violations:binding_revoke", args=[build_binding(w).pk]), post_only(driver=BAD)
    ),
    "violations:objection": Row(
        lambda w: build_binding(w) and reverse("violations:objection", args=[build_violation(w).pk]), own(driver=OK)
    ),
    "violations:objection_photo": Row(
        lambda w: reverse("violations:objection_photo", args=["00000000-0000-0000-0000-000000000000"]),
        own(owner=NF, driver=NF),
    ),
    "violations:study": Row(lambda w: reverse("violations:study"), signed_in(driver=OK)),
    "violations:study_heartbeat": Row(lambda w: reverse("violations:study_heartbeat"), post_only(driver=BAD)),
    # Certificates: the applicant's cases; hospital staff see their own institution's uploads only.
    "certificates:start": Row(lambda w: reverse("certificates:start"), every(OK)),
    "certificates:choose": Row(lambda w: reverse("certificates:choose", args=["vehicle-licence"]), signed_in()),
    "certificates:apply": Row(
        lambda w: reverse("certificates:apply", args=["vehicle-licence", build_owner_car(w).pk]), own()
    ),
    "certificates:cases": Row(lambda w: reverse("certificates:cases"), signed_in()),
    "certificates:case": Row(lambda w: reverse("certificates:case", args=[build_application(w).number]), own()),
    "certificates:pay": Row(
        lambda w: reverse("certificates:pay", args=[build_application(w).number]), post_only(), post=own()
    ),
    "certificates:withdraw": Row(
        lambda w: reverse("certificates:withdraw", args=[build_application(w).number]), post_only()
    ),
    "certificates:qr": Row(
        lambda w: reverse("certificates:qr", args=[build_application(w).number, build_document(w).token]), own()
    ),
    # Public: whoever holds the QR code learns whether the document is valid (masked name only).
    "certificates:verify": Row(lambda w: reverse("certificates:verify", args=[build_document(w).token]), every(OK)),
    "certificates:institutions": Row(lambda w: reverse("certificates:institutions"), every(OK)),
    "certificates:my_medicals": Row(lambda w: reverse("certificates:my_medicals"), signed_in()),
    "certificates:hospital": Row(
        lambda w: reverse("certificates:hospital"), every(NF, anon=LOGIN, hospital_a=OK, hospital_b=OK)
    ),
    "certificates:hospital_new": Row(
        lambda w: reverse("certificates:hospital_new"), every(NF, anon=LOGIN, hospital_a=OK, hospital_b=OK)
    ),
    # Hospital B cannot reach hospital A's certificate (nor correct it).
    "certificates:hospital_detail": Row(
        lambda w: reverse("certificates:hospital_detail", args=[build_medical(w).pk]),
        every(NF, anon=LOGIN, hospital_a=OK, hospital_b=NF),
    ),
    "certificates:hospital_correct": Row(
        lambda w: reverse("certificates:hospital_correct", args=[build_medical(w).pk]),
        every(NF, anon=LOGIN, hospital_a=OK, hospital_b=NF),
        post=every(NF, anon=LOGIN, hospital_a=OK, hospital_b=NF),
    ),
    "exams:pay": Row(lambda w: reverse("exams:pay", args=[build_exam_request(w).pk]), post_only(), post=own()),
    "accounts:identity_verify": Row(lambda w: reverse("accounts:identity_verify"), signed_in()),
    # The citizen's own registry records.
    "portal:home": Row(lambda w: "/", every(OK)),
    "portal:my_vehicles": Row(lambda w: reverse("portal:my_vehicles"), signed_in()),
    "portal:my_licence": Row(lambda w: reverse("portal:my_licence"), signed_in()),
    # Travel information: public list and feed; a citizen's own subscriptions.
    "notices:travel": Row(lambda w: reverse("notices:travel"), every(OK)),
    "notices:travel_feed": Row(lambda w: reverse("notices:travel_feed"), every(OK)),
    "notices:travel_subscriptions": Row(lambda w: reverse("notices:travel_subscriptions"), signed_in()),
    "notices:travel_unsubscribe": Row(
        lambda w: reverse("notices:travel_unsubscribe", args=[build_travel_subscription(w).pk]), post_only(), post=own()
    ),
    # Unit accounts: the signed-in account's own unit only (no unit id in any address); unit_a is
    # unit A's administrator, unit_b a staff member (not an administrator) of unit B.
    "portal:unit": Row(lambda w: reverse("portal:unit"), every(NF, anon=LOGIN, unit_a=OK, unit_b=OK)),
    "portal:unit_staff_add": Row(
        lambda w: reverse("portal:unit_staff_add"),
        post_only(unit_a=BAD, unit_b=BAD),
        post=every(NF, anon=LOGIN, unit_a=OK, unit_b=OK),
        data={"real_name": "无此人", "mobile": "13900001111"},
    ),
    # Removing unit A's extra staff member: unit A's administrator only.
    "portal:unit_staff_remove": Row(
        lambda w: reverse("portal:unit_staff_remove", args=[build_unit_staff(w).pk]),
        post_only(unit_a=BAD, unit_b=BAD),
        post=every(NF, anon=LOGIN, unit_b=NF, unit_a=OK),
    ),
    "portal:my_details": Row(lambda w: reverse("portal:my_details"), signed_in()),
    # Deferral requests: the holder's own page; the document for its applicant and its city's clerks.
    "certificates:deferral": Row(lambda w: reverse("certificates:deferral"), signed_in()),
    "certificates:deferral_document": Row(
        lambda w: reverse("certificates:deferral_document", args=[build_deferral(w).document_token]),
        own(clerk_has=OK, province=OK),
    ),
    "portal:human_check": Row(lambda w: reverse("portal:human_check"), signed_in()),
}
# Pages that show or change no record (their own tests cover them); listed so that the
# completeness check knows they were considered.
NO_RECORD = {
    "set_language": "language switch",
    "accounts:login": "login form (tests/portal/test_accounts.py)",
    "accounts:logout": "logout",
    "accounts:sms_login": "login by SMS code (tests/portal/test_accounts.py)",
    "accounts:register": "registration form",
    "accounts:password_reset": "password reset by SMS code",
    "accounts:sms_receipt": "SMS gateway's signed receipt (tests/portal/test_sms.py)",
    "healthz": "load balancer's health check: reads no record (tests/portal/test_health.py)",
    "healthz_celery": "monitoring's worker ping and beat heartbeat (tests/portal/test_health.py)",
}

# --- Admin ----------------------------------------------------------------------------------
# Model label -> the Huai'an clerk's rights on it. Province administrators may do everything a
# model allows at all. A new admin model without a line here fails the completeness check.
ADMIN_MODELS = {
    "portal.user": "view",  # the counter verifies and recovers accounts (ADMIN_EXTRA)
    "portal.clerkprofile": "view",
    "portal.smscode": "none",
    "portal.holiday": "none",
    "portal.city": "none",
    "portal.office": "view",
    "portal.medicalinstitution": "view",
    "portal.citysetting": "none",
    "portal.payment": "view",
    "portal.refund": "view",
    "portal.shipment": "view",
    "portal.vehicle": "add",
    "portal.drivinglicence": "add",
    "notices.announcement": "add",
    "notices.article": "add",
    "notices.question": "change",
    "notices.traveladvisory": "add",
    "portal.unit": "add_only",  # opened at the counter; changes are the links page's buttons
    "notices.notice": "view",
    "notices.delivery": "view",
    "plates.numberblock": "add",
    "plates.bannedpattern": "add",
    "plates.platenumber": "change",
    "plates.hold": "change",
    "plates.ban": "change",
    "plates.selection": "view",
    "exams.examsite": "add",
    "exams.examplan": "add",
    "exams.learnerrecord": "add",
    "exams.examrequest": "view",
    "exams.examresult": "view",
    "exams.inspectionstation": "add",
    "exams.inspectionslot": "add",
    "exams.inspectionbooking": "view",  # results through their own page (ADMIN_EXTRA)
    "auth.group": "none",
    "violations.violationcode": "view",
    "violations.violation": "add_only",  # entered, deleted with a reason, never edited
    "violations.decision": "view",
    "violations.binding": "view",
    "violations.watchentry": "view",
    "violations.objection": "view",
    "violations.studymaterial": "add",
    "violations.studyquestion": "add",
    "violations.accidentcase": "view",  # decided on its page (a determination), never edited
    "violations.insurernotice": "view",
    "certificates.fee": "view",
    "certificates.compulsoryinsurance": "view",
    "certificates.vehicletax": "view",
    "certificates.electronicdocument": "view",
    "certificates.medicalcertificate": "view",
    "certificates.application": "view",
    "certificates.deferral": "view",  # decided on the review page (ADMIN_EXTRA), through services
}
# One catalogue for the whole province, which every city's clerks read (and edit, the study bank).
PROVINCE_WIDE = {"violations.violationcode", "violations.studymaterial", "violations.studyquestion"}
ADMIN_SITE_URLS = {"index", "login", "logout", "password_change", "password_change_done", "jsi18n", "autocomplete"}
ADMIN_SITE_URLS |= {"view_on_site", "app_list"}
# id_search and reveal_id: on models with ID numbers, the POST search and audited ID-number reveal
# (portal.admin_idnumbers), walked below for every model.
STANDARD_SUFFIXES = ("changelist", "add", "change", "history", "delete", "simple_history", "id_search", "reveal_id")
# Custom admin views: (clerk_has, clerk_szv) outcome on the Huai'an site; anon and citizens
# are sent to the login page, the province administrator may use them.
ADMIN_EXTRA = {
    "admin:plates_hold_hall": (lambda w: reverse("admin:plates_hold_hall"), OK),
    "admin:exams_examplan_bulk": (lambda w: reverse("admin:exams_examplan_bulk"), OK),
    "admin:exams_examplan_import": (lambda w: reverse("admin:exams_examplan_import"), OK),
    "admin:exams_examplan_results": (lambda w: reverse("admin:exams_examplan_results", args=[build_plan(w).pk]), OK),
    "admin:exams_learnerrecord_permit": (lambda w: reverse("admin:exams_learnerrecord_permit", args=[999999]), NF),
    "admin:exams_examrequest_book": (lambda w: reverse("admin:exams_examrequest_book"), OK),
    "admin:exams_inspectionstation_generate": (
        lambda w: reverse("admin:exams_inspectionstation_generate", args=[build_inspection(w)["station"].pk]),
        OK,
    ),
    "admin:exams_inspectionbooking_result": (
        lambda w: reverse("admin:exams_inspectionbooking_result", args=[build_inspection(w)["booking"].pk]),
        OK,
    ),
    "admin:portal_user_verify_identity": (
        lambda w: reverse("admin:portal_user_verify_identity", args=[w.users["other"].pk]),
        OK,
    ),
    "admin:portal_user_recover": (lambda w: reverse("admin:portal_user_recover", args=[w.users["other"].pk]), OK),
    "admin:violations_violation_search": (lambda w: reverse("admin:violations_violation_search"), OK),
    "admin:violations_violation_import": (lambda w: reverse("admin:violations_violation_import"), OK),
    "admin:violations_violation_delete_reason": (
        lambda w: reverse("admin:violations_violation_delete_reason", args=[build_violation(w).pk]),
        OK,
    ),
    "admin:violations_watchentry_clear": (
        lambda w: reverse("admin:violations_watchentry_clear", args=[999999]),
        NF,
    ),
    "admin:certificates_application_queue": (lambda w: reverse("admin:certificates_application_queue"), OK),
    "admin:certificates_application_mailout": (lambda w: reverse("admin:certificates_application_mailout"), OK),
    # No parcel is ready to mail in the matrix's world: nothing to print.
    "admin:certificates_application_labels": (lambda w: reverse("admin:certificates_application_labels"), NF),
    "admin:portal_unit_links": (lambda w: reverse("admin:portal_unit_links", args=[w.objects["unit_a"].pk]), OK),
    "admin:portal_unit_key_vehicles": (lambda w: reverse("admin:portal_unit_key_vehicles"), OK),
    "admin:certificates_deferral_review": (
        lambda w: reverse("admin:certificates_deferral_review", args=[build_deferral(w).pk]),
        OK,
    ),
    "admin:certificates_application_desk": (
        lambda w: reverse("admin:certificates_application_desk", args=[build_application(w).pk]),
        OK,
    ),
}


def _url_names():
    def walk(resolver, ns):
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                inner = ":".join(x for x in (ns, p.namespace) if x) if p.namespace else ns
                yield from walk(p, inner)
            elif isinstance(p, URLPattern):
                yield (f"{ns}:" if ns else "") + (p.name or ""), str(p.pattern)

    return list(walk(get_resolver(), ""))


def _admin_model_for(name):
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
        if name.startswith(prefix) and name[len(prefix) :] in STANDARD_SUFFIXES:
            return model
    return None


def test_every_url_has_a_row():
    missing = []
    for name, route in _url_names():
        if name in CITIZEN_ROWS or name in NO_RECORD or name in ADMIN_EXTRA:
            continue
        if name.startswith("admin:"):
            short = name.split(":", 1)[1]
            if short in ADMIN_SITE_URLS or (short == "" and ("object_id" in route or "url" in route)):
                continue  # the site's own pages; unnamed: the legacy <id>/ redirect and catch-all
            model = _admin_model_for(name)
            if model is not None and model._meta.label_lower in ADMIN_MODELS:
                continue
        if route.startswith("^media/") or route.startswith("__bench__"):
            continue  # DEBUG-only media serving; the bench's own views (never in production)
        missing.append(f"{name or '(unnamed)'} {route}")
    unknown_models = [m._meta.label_lower for m in admin.site._registry if m._meta.label_lower not in ADMIN_MODELS]
    assert not missing and not unknown_models, (
        "URLs without a row in tests/portal/test_access_matrix.py (add one for each persona): "
        + "; ".join(missing + unknown_models)
    )


# --- Walking the matrix ---------------------------------------------------------------------
@pytest.fixture
def world(db, has, szv):
    users = {
        "owner": factories.UserFactory(),
        "other": factories.UserFactory(),
        "clerk_has": factories.clerk("has"),
        "clerk_szv": factories.clerk("szv"),
        "province": factories.UserFactory(is_staff=True, is_superuser=True),
        # Personas of the violations and certificates rows (each row names them where they matter).
        "driver": factories.UserFactory(),
    }
    from tests.certificates.conftest import staff_of

    hospital_a = MedicalInstitution.objects.create(city=has, name="矩阵医院A", licence_number="PDY-MATRIX-A")
    hospital_b = MedicalInstitution.objects.create(city=has, name="矩阵医院B", licence_number="PDY-MATRIX-B")
    users["hospital_a"], users["hospital_b"] = staff_of(hospital_a), staff_of(hospital_b)
    from portal import unit_services
    from portal.models import UnitMember

    users["unit_a"], users["unit_b"] = factories.UserFactory(), factories.UserFactory()
    unit_a = unit_services.unit_open(
        clerk=users["clerk_has"],
        city=has,
        name="矩阵运输A",
        kind="transport",
        licence_number="MX-A",
        admin_user=users["unit_a"],
    )
    unit_b = unit_services.unit_open(
        clerk=users["clerk_has"], city=has, name="矩阵客运B", kind="passenger", licence_number="MX-B", admin_user=None
    )
    UnitMember.objects.create(unit=unit_b, user=users["unit_b"])
    return World(has=has, szv=szv, users=users, objects={"unit_a": unit_a, "unit_b": unit_b})


def _as(client, world, persona):
    client.logout()
    if persona != "anon":
        client.force_login(world.users[persona])
    client.defaults["HTTP_HOST"] = "has.localhost"
    return client


def _check(client, world, persona, method, path, expected, data, failures, label):
    _as(client, world, persona)
    response = client.post(path, data) if method == "POST" else client.get(path)
    got = _outcome(response)
    if got != expected:
        failures.append(
            f"{label} {method} {path} as {persona}: expected {expected}, got {got} ({response.status_code})"
        )


def test_citizen_pages_and_callbacks(client, world, settings):
    settings.RUSH_LIMITS = {}  # the walk makes many requests; limits have their own tests
    failures = []
    for name, row in CITIZEN_ROWS.items():
        path = row.url(world)
        for persona, expected in row.get.items():
            _check(client, world, persona, "GET", path, expected, {}, failures, name)
        for persona, expected in (row.post or {}).items():
            _check(client, world, persona, "POST", path, expected, row.data, failures, name)
    assert not failures, "\n".join(failures)


def _samples(w) -> dict:
    """One Huai'an row of every admin model (built once per walk)."""
    from django.contrib.auth.models import Group

    from certificates.models import Fee
    from exams.models import ExamRequest, LearnerRecord
    from notices.models import Announcement, Article, Question
    from plates.models import BannedPattern, NumberBlock, PlateNumber
    from portal.models import ClerkProfile, MedicalInstitution, Office, SmsCode
    from violations.models import StudyMaterial, StudyQuestion, ViolationCode

    now = datetime.datetime.now(datetime.UTC)
    hold = build_hold(w)
    request = build_exam_request(w)
    return {
        "portal.user": w.users["other"],
        "portal.clerkprofile": ClerkProfile.objects.get(user=w.users["clerk_has"]),
        "portal.smscode": SmsCode.objects.create(
            mobile="13900001111", purpose="login", code_hash="x", expires_at=now, created_at=now
        ),
        "portal.holiday": Holiday.objects.first(),
        "portal.city": w.has,
        "portal.office": Office.objects.create(city=w.has, name="矩阵车管所"),
        "portal.medicalinstitution": MedicalInstitution.objects.create(
            city=w.has, name="矩阵医院", licence_number="M-1"
        ),
        "portal.citysetting": CitySetting.objects.get_or_create(
            city=w.has, key="plate_ban_years", defaults={"value": 2}
        )[0],
        "portal.payment": build_payment(w),
        "portal.refund": None,  # refunds are made by the payment service only; see test_production_defaults
        "portal.shipment": build_shipment(w),
        "portal.vehicle": factories.VehicleFactory(city=w.has),
        "portal.drivinglicence": factories.DrivingLicenceFactory(city=w.has),
        "notices.announcement": Announcement.objects.create(city=w.has, title_text="公告", body_text="正文"),
        "notices.article": Article.objects.create(city=w.has, title="文章", body="正文"),
        "notices.question": Question.objects.create(city=w.has, asker=w.users["owner"], subject="问", body="问题"),
        "notices.notice": build_notice(w),
        "notices.traveladvisory": build_travel_advisory(w),
        "portal.unit": w.objects["unit_a"],
        "notices.delivery": None,  # made by the delivery sweep; read-only like notices
        "plates.numberblock": NumberBlock.objects.filter(city=w.has).first(),
        "plates.bannedpattern": BannedPattern.objects.create(city=w.has, pattern="^8888", reason="拍卖"),
        "plates.platenumber": PlateNumber.objects.filter(city=w.has).first(),
        "plates.hold": hold,
        "plates.ban": None,  # made when a hold lapses; covered by tests/plates/test_hold.py
        "plates.selection": build_selection(w),
        "exams.examsite": build_plan(w).site,
        "exams.examplan": build_plan(w),
        "exams.learnerrecord": LearnerRecord.objects.get(id_number_hash=identity.id_key(w.users["owner"].id_number)),
        "exams.examrequest": ExamRequest.objects.get(pk=request.pk),
        "exams.examresult": None,  # entered by the results page (ADMIN_EXTRA), never edited
        "exams.inspectionstation": build_inspection(w)["station"],
        "exams.inspectionslot": build_inspection(w)["slots"][0],
        "exams.inspectionbooking": build_inspection(w)["booking"],
        "auth.group": Group.objects.create(name="matrix"),
        "violations.violationcode": ViolationCode.objects.filter(code="1625").first(),
        "violations.violation": build_violation(w),
        "violations.decision": build_decision(w),
        "violations.binding": build_binding(w),
        "violations.watchentry": None,  # listed by the watch sweep; its clear view is in ADMIN_EXTRA
        "violations.objection": build_objection(w),
        "violations.studymaterial": StudyMaterial.objects.first(),
        "violations.studyquestion": StudyQuestion.objects.first(),
        "violations.accidentcase": build_accident(w),
        "violations.insurernotice": build_accident(w).insurer_notices.first(),
        "certificates.fee": Fee.objects.first(),
        "certificates.compulsoryinsurance": None,  # loaded from the insurers' feed
        "certificates.vehicletax": None,  # loaded from the tax authority's feed
        "certificates.electronicdocument": build_document(w),
        "certificates.medicalcertificate": build_medical(w),
        "certificates.application": build_application(w),
        "certificates.deferral": build_deferral(w),
    }


def _admin_expectations(rights, kind, method):
    """The Huai'an clerk's outcome on one of a model's standard admin pages."""
    may_view = rights in ("view", "change", "add")
    may_view = may_view or rights == "add_only"
    may_change = rights in ("change", "add")
    if kind in ("changelist", "history", "id_search", "reveal_id"):
        return OK if may_view else NO
    if kind == "change" or kind == "simple_history":
        if method == "GET":
            return OK if may_view else NO
        return OK if may_change else NO
    if kind == "add":
        return OK if rights in ("add", "add_only") else NO
    if kind == "delete":
        return NO
    raise AssertionError(kind)


def test_admin_pages(client, world):
    failures = []
    samples = _samples(world)
    for model in admin.site._registry:
        label = model._meta.label_lower
        rights = ADMIN_MODELS[label]
        obj = samples.get(label)
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages = [("changelist", reverse(f"{info}_changelist")), ("add", reverse(f"{info}_add"))]
        if obj is not None:
            pages += [
                ("change", reverse(f"{info}_change", args=[obj.pk])),
                ("history", reverse(f"{info}_history", args=[obj.pk])),
                ("delete", reverse(f"{info}_delete", args=[obj.pk])),
            ]
            history = getattr(model, "history", None)
            version = history.filter(**{model._meta.pk.attname: obj.pk}).first() if history is not None else None
            if version is not None:
                pages.append(("simple_history", reverse(f"{info}_simple_history", args=[obj.pk, version.history_id])))
        elif label not in samples:
            failures.append(f"{label}: no sample object for the matrix (add one to _samples)")
        # POST only: the search (ID number or mobile in the body) and, where the model holds ID numbers,
        # the reveal of one record's number.
        names = getattr(admin.site._registry[model], "id_number_fields", [])
        searched = getattr(admin.site._registry[model], "personal_search", False)  # ID numbers or mobiles
        posts = [("id_search", reverse(f"{info}_id_search"))] if searched else []
        if obj is not None and names:
            posts.append(("reveal_id", reverse(f"{info}_reveal_id", args=[obj.pk]) + f"?field={names[0]}"))
        for kind, path in posts:
            for persona in ("anon", "owner", "other", "clerk_szv"):
                _check(client, world, persona, "POST", path, LOGIN, {"q": "x"}, failures, label)
            _check(client, world, "clerk_has", "GET", path, BAD, {}, failures, label)  # 405
            expected = _admin_expectations(rights, kind, "POST")
            _check(client, world, "clerk_has", "POST", path, expected, {"q": "x"}, failures, label)
        for kind, path in pages:
            for persona in ("anon", "owner", "other") if kind == "change" else ("anon",):
                _check(client, world, persona, "GET", path, LOGIN, {}, failures, label)
            # A Suzhou clerk is not let into the admin on Huai'an's site at all.
            _check(client, world, "clerk_szv", "GET", path, LOGIN, {}, failures, label)
            _check(
                client, world, "clerk_has", "GET", path, _admin_expectations(rights, kind, "GET"), {}, failures, label
            )
            if kind in ("change", "simple_history", "delete", "add"):
                # Writes: an empty form is refused by validation (no row changes), but only
                # after the permission check, which is what this asserts.
                expected = _admin_expectations(rights, kind, "POST")
                _check(client, world, "clerk_has", "POST", path, expected, {}, failures, label)
                _as(client, world, "province")
                response = client.get(path)
                if response.status_code >= 500:
                    failures.append(f"{label} {path} as province: {response.status_code}")
    # A Suzhou clerk on their own site sees none of Huai'an's rows.
    for model in admin.site._registry:
        obj = samples.get(model._meta.label_lower)
        if obj is None or not getattr(admin.site._registry[model], "city_field", None):
            continue
        if model._meta.label_lower in PROVINCE_WIDE:
            continue
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        client.force_login(world.users["clerk_szv"])
        client.defaults["HTTP_HOST"] = "szv.localhost"
        response = client.get(reverse(f"{info}_change", args=[obj.pk]))
        if response.status_code not in (302, 403, 404):
            failures.append(f"{model._meta.label_lower}: a Suzhou clerk got {response.status_code} on a Huai'an row")
    for name, (url, clerk_outcome) in ADMIN_EXTRA.items():
        path = url(world)
        for persona in ("anon", "owner", "other", "clerk_szv"):
            _check(client, world, persona, "GET", path, LOGIN, {}, failures, name)
        _check(client, world, "clerk_has", "GET", path, clerk_outcome, {}, failures, name)
    assert not failures, "\n".join(failures)
