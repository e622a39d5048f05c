"""Accident quick settlement (交通事故快处快赔, docs/rules.md §5.7). Every write of a case.

Flow: party A starts a case (accident_start) from their own registry records, with party B's
plate and licence number as typed, the place, time and photos; B joins with the case's code and
an SMS code to B's own mobile (accident_join), which checks what A typed against the registry;
either party proposes a standard situation (accident_propose) and the other accepts it
(accident_accept: the self-negotiated agreement, R-PROC-ACC arts 20-21), or either asks a clerk
(accident_ask_clerk), who issues the simple-procedure determination (accident_decide,
R-PROC-ACC art 60). Either document reports both parties to their insurers (insurer_notices_send).
A case B never confirms lapses (accidents_lapse). Each step is one conditional UPDATE on the
case's status, so two clicks, two tabs or the sweep racing a join settle on one outcome.
"""

import datetime
import secrets

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

import notices
from portal import audit, citysettings, identity, workdays
from portal.models import DrivingLicence, Vehicle
from violations import insurers
from violations.models_accident import (
    EQUAL_SITUATIONS,
    AccidentCase,
    AccidentParty,
    AccidentPhoto,
    InsurerNotice,
    Responsibility,
    Situation,
)
from violations.services.common import ViolationError

# Unambiguous capitals and digits (no 0/O, 1/I/L): 31^8 ≈ 8.5e11 codes, and typing one is limited
# per account and address (RUSH_LIMITS "violations.accident_join").
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
# R-PROC-ACC art 25 (the simple-procedure determination within 3 days; art 112: working days).
DECIDE_WORKING_DAYS = 3
JOIN_PURPOSE = "violations.accident_join"
OTHER = {"A": "B", "B": "A"}
# Responsibility pairs a clerk may decide (R-PROC-ACC art 60); "none/none" is an accident
# nobody caused (意外事故).
VALID_SPLITS = {
    ("full", "none"),
    ("main", "secondary"),
    ("equal", "equal"),
    ("secondary", "main"),
    ("none", "full"),
    ("none", "none"),
}
CALL_POLICE = gettext_lazy("Do not settle it online: call 122 and wait for the traffic police at a safe place.")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw) -> str:
    return identity.nfkc(raw or "").strip().upper().replace(" ", "").replace("-", "")[:CODE_LENGTH]


def _notify(case, role: str, kind: str, **context):
    party = case.party(role)
    if party is None or party.user_id is None:
        return
    notices.notify(
        kind,
        id_number=party.id_number,
        city=case.city,
        context={"case": str(case.pk), "place": case.place[:60], **context},
        dedupe_key=f"{kind}:{case.pk}:{role}:{case.proposal_version}",
    )


# --- What each party may act for ----------------------------------------------------------
def vehicles_of(user):
    """Vehicles a citizen may act for in a case: their own, and those bound to them (§5.6)."""
    from violations.selectors import active_bindings_of_driver

    bound = list(active_bindings_of_driver(user.id_number).values_list("vehicle_id", flat=True))
    owned_or_bound = Q(owner_id_number_hash=identity.id_key(user.id_number)) | Q(pk__in=bound)
    return Vehicle.objects.filter(owned_or_bound, plate_number__isnull=False).order_by("plate_number")


def _valid_licence(id_number: str, day: datetime.date):
    return (
        DrivingLicence.objects.held_by(id_number)
        .filter(status=DrivingLicence.Status.NORMAL, valid_from__lte=day)
        .exclude(valid_until__lt=day)
        .first()
    )


def _vehicle_refusals(vehicle, day) -> tuple[list[str], object]:
    """R-PROC-ACC arts 13-14: a vehicle without a valid inspection mark or compulsory insurance is
    a case for the police, not for settlement online. Returns (reasons, the insurance policy)."""
    from certificates.selectors import valid_insurance

    reasons = []
    if vehicle.status in (Vehicle.Status.SCRAP, Vehicle.Status.DEREGISTERED, Vehicle.Status.NEW):
        reasons.append(_("%(plate)s is not a registered vehicle in use.") % {"plate": vehicle.plate_number})
    if vehicle.inspection_valid_until is not None and vehicle.inspection_valid_until < day:
        reasons.append(_("%(plate)s has no valid inspection mark.") % {"plate": vehicle.plate_number})
    policy = valid_insurance(vehicle, day)
    if policy is None:
        reasons.append(_("%(plate)s has no valid compulsory insurance (交强险).") % {"plate": vehicle.plate_number})
    return reasons, policy


def start_refusals(*, no_injury: bool, drivable: bool) -> list[str]:
    """The questions asked first (LAW art 70; R-PROC-ACC arts 13, 19): only a property-damage
    accident with no injury and both vehicles drivable may be settled online."""
    reasons = []
    if not no_injury:
        reasons.append(_("Someone was injured: call 122 (and 120 for an ambulance) and stay at the scene."))
    if not drivable:
        reasons.append(_("A vehicle cannot be driven: call 122 and wait for the traffic police at a safe place."))
    return reasons


def report_window(city) -> datetime.timedelta:
    return datetime.timedelta(hours=citysettings.get(city, "accident_report_hours"))


# --- Starting and joining -----------------------------------------------------------------
def accident_start(
    *,
    user,
    city,
    vehicle,
    occurred_at,
    place: str,
    weather: str,
    no_injury: bool,
    drivable: bool,
    own_damage: str,
    other_plate: str,
    other_licence_number: str,
    other_damage: str,
    photos: dict,
) -> AccidentCase:
    """Party A starts a case. photos: {AccidentPhoto.Kind: [(bytes, content_type), ...]}, already
    checked by content and size (portal.uploads)."""
    reasons = start_refusals(no_injury=no_injury, drivable=drivable)
    if reasons:
        raise ViolationError(reasons[0], reasons)
    now = timezone.now()
    if occurred_at > now:
        raise ViolationError(_("The time of the accident is in the future."))
    if occurred_at < now - report_window(city):
        raise ViolationError(
            _("Cases can be started online within %(hours)s hours of the accident. Go to a traffic police counter.")
            % {"hours": citysettings.get(city, "accident_report_hours")}
        )
    if not vehicles_of(user).filter(pk=vehicle.pk).exists():
        raise ViolationError(_("Choose one of your own vehicles or a vehicle registered to you."))
    day = timezone.localdate(occurred_at)
    licence = _valid_licence(user.id_number, day)
    if licence is None:
        raise ViolationError(_("You have no valid driving licence on record.") + " " + str(CALL_POLICE))
    vehicle_reasons, policy = _vehicle_refusals(vehicle, day)
    if vehicle_reasons:
        raise ViolationError(vehicle_reasons[0] + " " + str(CALL_POLICE), vehicle_reasons)
    other_plate = identity.nfkc(other_plate).strip().upper()
    other_key = identity.id_key(other_licence_number)
    if other_plate == vehicle.plate_number:
        raise ViolationError(_("The other vehicle's plate is your own plate."))
    if other_key == identity.id_key(user.id_number):
        raise ViolationError(_("The other driver's licence number is your own."))
    for kind in AccidentPhoto.Kind.values:
        if not photos.get(kind):
            raise ViolationError(_("Add photos of the scene and of both vehicles' damage."))
    with transaction.atomic():
        case = AccidentCase(
            city=city,
            join_code=new_code(),
            created_at=now,
            lapses_at=now + datetime.timedelta(hours=citysettings.get(city, "accident_confirm_hours")),
            occurred_at=occurred_at,
            place=place.strip()[:200],
            weather=weather,
            no_injury=True,
            vehicles_drivable=True,
        )
        case._history_user = user
        case._change_reason = "started by party A"
        case.save()
        AccidentParty.objects.create(
            case=case,
            role="A",
            user=user,
            id_number=identity.normalize_id_number(user.id_number),
            name=user.real_name,
            mobile=user.mobile,
            plate_number=vehicle.plate_number,
            vehicle=vehicle,
            licence=licence,
            insurer=policy.insurer,
            policy_number=policy.policy_number,
            damage=own_damage.strip()[:100],
            confirmed_at=now,
        )
        AccidentParty.objects.create(
            case=case,
            role="B",
            id_number=identity.normalize_id_number(other_licence_number),
            plate_number=other_plate[:10],
            damage=other_damage.strip()[:100],
        )
        for kind, items in photos.items():
            for data, content_type in items:
                AccidentPhoto.objects.create(case=case, kind=kind, data=data, content_type=content_type, size=len(data))
    return case


def case_by_code(raw) -> AccidentCase | None:
    code = normalize_code(raw)
    if len(code) != CODE_LENGTH:
        return None
    return AccidentCase.objects.select_related("city").filter(join_code=code, status=AccidentCase.Status.OPEN).first()


def join_refusals(case, user) -> list[str]:
    """What stops this account from joining as party B: the registry must confirm the licence
    number and plate party A typed (R-PROC-ACC art 21: the agreement names both)."""
    party_b = case.party("B")
    party_a = case.party("A")
    key = identity.id_key(user.id_number)
    if party_a.id_number_hash == key:
        return [_("You started this case; the other driver joins it with the code.")]
    if party_b.id_number_hash != key:
        return [
            _(
                "The licence number the other party entered is not yours. Ask them to withdraw the case and start "
                "it again with your details, or call 122."
            )
        ]
    day = timezone.localdate(case.occurred_at)
    if _valid_licence(user.id_number, day) is None:
        return [_("You have no valid driving licence on record.") + " " + str(CALL_POLICE)]
    vehicle = vehicles_of(user).filter(plate_number=party_b.plate_number).first()
    if vehicle is None:
        return [
            _(
                "The plate %(plate)s is not one of your vehicles or registered to you. Ask the other party to "
                "withdraw the case and start it again with the right plate, or call 122."
            )
            % {"plate": party_b.plate_number}
        ]
    reasons, _policy = _vehicle_refusals(vehicle, day)
    return [r + " " + str(CALL_POLICE) for r in reasons]


def accident_join(case, *, user) -> AccidentCase:
    """Party B, having proved their mobile by SMS, confirms the facts and joins the case."""
    reasons = join_refusals(case, user)
    if reasons:
        raise ViolationError(reasons[0], reasons)
    day = timezone.localdate(case.occurred_at)
    party_b = case.party("B")
    vehicle = vehicles_of(user).get(plate_number=party_b.plate_number)
    _reasons, policy = _vehicle_refusals(vehicle, day)
    now = timezone.now()
    with transaction.atomic():
        won = AccidentCase.objects.filter(pk=case.pk, status=AccidentCase.Status.OPEN, lapses_at__gt=now).update(
            status=AccidentCase.Status.JOINED, joined_at=now
        )
        if not won:
            raise ViolationError(_("This case can no longer be joined."))
        audit.record(case, "party B joined and confirmed the facts", user)
        AccidentParty.objects.filter(pk=party_b.pk, user__isnull=True).update(
            user=user,
            name=user.real_name,
            mobile=user.mobile,
            vehicle=vehicle,
            licence=_valid_licence(user.id_number, day),
            insurer=policy.insurer,
            policy_number=policy.policy_number,
            confirmed_at=now,
        )
        audit.record(AccidentParty.objects.get(pk=party_b.pk), "joined", user)
        case = AccidentCase.objects.prefetch_related("parties").get(pk=case.pk)
        _notify(case, "A", "violations.accident_joined", plate=party_b.plate_number)
    return case


def accident_withdraw(case, *, user) -> AccidentCase:
    """Party A withdraws a case nobody joined yet (say, a typing mistake in B's details)."""
    if role_of(case, user) != "A":
        raise ViolationError(_("Only the party who started the case may withdraw it."))
    with transaction.atomic():
        won = AccidentCase.objects.filter(pk=case.pk, status=AccidentCase.Status.OPEN).update(
            status=AccidentCase.Status.WITHDRAWN
        )
        if not won:
            raise ViolationError(_("The other party has already joined; the case can no longer be withdrawn."))
        audit.record(case, "withdrawn by party A", user)
    case.refresh_from_db()
    return case


def role_of(case, user) -> str | None:
    key = identity.id_key(user.id_number)
    for party in case.parties.all():
        if party.user_id == user.pk and party.id_number_hash == key:
            return party.role
    return None


# --- Responsibility -------------------------------------------------------------------------
def split_for(situation: str, fault_role: str) -> tuple[str, str]:
    """(A's, B's) responsibility of a standard situation."""
    if situation in EQUAL_SITUATIONS:
        return Responsibility.EQUAL, Responsibility.EQUAL
    if fault_role == "A":
        return Responsibility.FULL, Responsibility.NONE
    return Responsibility.NONE, Responsibility.FULL


def accident_propose(case, *, user, situation: str, fault_role: str) -> AccidentCase:
    role = role_of(case, user)
    if role is None:
        raise ViolationError(_("You are not a party to this case."))
    if situation not in Situation.values:
        raise ViolationError(_("Choose one of the standard situations."))
    if situation in EQUAL_SITUATIONS:
        fault_role = ""
    elif fault_role not in ("A", "B"):
        raise ViolationError(_("Say which vehicle did it."))
    with transaction.atomic():
        won = AccidentCase.objects.filter(pk=case.pk, status=AccidentCase.Status.JOINED).update(
            situation=situation, fault_role=fault_role, proposed_by=role, proposal_version=F("proposal_version") + 1
        )
        if not won:
            raise ViolationError(_("Responsibility can no longer be proposed in this case."))
        audit.record(case, f"party {role} proposed {situation} {fault_role}".strip(), user)
        case = AccidentCase.objects.prefetch_related("parties").get(pk=case.pk)
        _notify(case, OTHER[role], "violations.accident_proposed")
    return case


def accident_accept(case, *, user, version: int) -> AccidentCase:
    """The other party agrees to the proposal they saw (version): the agreement is made."""
    role = role_of(case, user)
    if role is None:
        raise ViolationError(_("You are not a party to this case."))
    now = timezone.now()
    with transaction.atomic():
        won = (
            AccidentCase.objects.filter(pk=case.pk, status=AccidentCase.Status.JOINED, proposal_version=version)
            .exclude(proposed_by="")
            .exclude(proposed_by=role)
            .update(status=AccidentCase.Status.AGREED, agreed_at=now)
        )
        if not won:
            raise ViolationError(_("The proposal changed or the case moved on; read it again before you agree."))
        case.refresh_from_db()
        a, b = split_for(case.situation, case.fault_role)
        AccidentCase.objects.filter(pk=case.pk).update(
            a_responsibility=a, b_responsibility=b, document_number=_number(case, "XS")
        )
        audit.record(case, f"party {role} agreed: agreement made", user)
        case = AccidentCase.objects.prefetch_related("parties").get(pk=case.pk)
        _settled(case, "violations.accident_agreed")
    return case


def accident_ask_clerk(case, *, user) -> AccidentCase:
    """Either party asks the traffic police to decide online (R-PROC-ACC art 20)."""
    role = role_of(case, user)
    if role is None:
        raise ViolationError(_("You are not a party to this case."))
    now = timezone.now()
    with transaction.atomic():
        won = AccidentCase.objects.filter(pk=case.pk, status=AccidentCase.Status.JOINED).update(
            status=AccidentCase.Status.AWAITING_CLERK,
            clerk_requested_at=now,
            clerk_requested_by=role,
            decide_by=workdays.add_working_days(timezone.localdate(now), DECIDE_WORKING_DAYS),
        )
        if not won:
            raise ViolationError(_("The traffic police can no longer be asked in this case."))
        audit.record(case, f"party {role} asked a clerk to decide", user)
        case = AccidentCase.objects.prefetch_related("parties").get(pk=case.pk)
        for each in ("A", "B"):
            _notify(case, each, "violations.accident_clerk_asked", decide_by=case.decide_by.isoformat())
    return case


def accident_decide(case, *, clerk, situation: str, a_responsibility: str, b_responsibility: str, note: str):
    """The clerk's simple-procedure determination (R-PROC-ACC arts 25, 60)."""
    note = (note or "").strip()
    if not note:
        raise ViolationError(_("State the facts and the reasons for the responsibility."))
    if situation and situation not in Situation.values:
        raise ViolationError(_("Choose one of the standard situations."))
    if (a_responsibility, b_responsibility) not in VALID_SPLITS:
        raise ViolationError(_("These responsibilities do not go together (R-PROC-ACC art 60)."))
    now = timezone.now()
    with transaction.atomic():
        won = AccidentCase.objects.filter(pk=case.pk, status=AccidentCase.Status.AWAITING_CLERK, city=case.city).update(
            status=AccidentCase.Status.DETERMINED,
            decided_at=now,
            decided_by=clerk,
            situation=situation,
            fault_role="",
            decision_note=note[:500],
            a_responsibility=a_responsibility,
            b_responsibility=b_responsibility,
            document_number=_number(case, "JY"),
        )
        if not won:
            raise ViolationError(_("This case is not waiting for a decision."))
        audit.record(case, "determination issued", clerk)
        case = AccidentCase.objects.prefetch_related("parties").get(pk=case.pk)
        _settled(case, "violations.accident_determined")
    return case


def _number(case, prefix: str) -> str:
    """Document numbers: kind, city, date, case id (unique with the case)."""
    return f"{prefix}{case.city.code.upper()[:3]}{timezone.localdate():%Y%m%d}{case.pk:08d}"[:24]


def _settled(case, kind: str) -> None:
    """A document exists: tell both parties, and queue one report per party to their insurer."""
    from violations.pdf_accident import insurer_message

    now = timezone.now()
    for party in case.parties.all():
        _notify(case, party.role, kind, number=case.document_number)
        InsurerNotice.objects.get_or_create(
            case=case,
            role=party.role,
            defaults={
                "insurer": party.insurer,
                "reference": f"{case.document_number}-{party.role}",
                "message": insurer_message(case, party),
                "created_at": now,
            },
        )
    transaction.on_commit(_queue_insurers)


def _queue_insurers():
    from violations import tasks

    try:
        tasks.accident_insurers.delay()
    except Exception:  # broker down: the 10-minute sweep sends them
        pass


# --- Background work ------------------------------------------------------------------------
def accidents_lapse(now=None) -> int:
    """Cases the other party did not confirm within accident_confirm_hours lapse. Idempotent."""
    now = now or timezone.now()
    count = 0
    for case in AccidentCase.objects.filter(status=AccidentCase.Status.OPEN, lapses_at__lte=now).prefetch_related(
        "parties"
    )[:500]:
        with transaction.atomic():
            won = AccidentCase.objects.filter(pk=case.pk, status=AccidentCase.Status.OPEN, lapses_at__lte=now).update(
                status=AccidentCase.Status.LAPSED
            )
            if won:
                audit.record(case, "lapsed: party B never confirmed")
                _notify(case, "A", "violations.accident_lapsed")
                count += 1
    return count


def insurer_notices_send(limit: int = 200) -> dict:
    """Send the reports not yet accepted, each claimed under a row lock (a second worker skips it)."""
    backend = insurers.get_backend()
    sent = failed = 0
    ids = list(
        InsurerNotice.objects.exclude(state=InsurerNotice.State.SENT)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        with transaction.atomic():
            notice = (
                InsurerNotice.objects.select_for_update(skip_locked=True)
                .exclude(state=InsurerNotice.State.SENT)
                .filter(pk=pk)
                .first()
            )
            if notice is None:
                continue
            notice.attempts += 1
            try:
                notice.claim_number = backend.report(notice.message)
            except insurers.InsurerError:
                notice.state = InsurerNotice.State.FAILED
                failed += 1
            else:
                notice.state, notice.sent_at = InsurerNotice.State.SENT, timezone.now()
                sent += 1
            notice._change_reason = f"report attempt {notice.attempts}: {notice.state}"
            notice.save()
    return {"sent": sent, "failed": failed}
