"""Points cycles and point reduction by online study (docs/rules.md §5.5, R-PTS arts 14-15, 17,
25-27).

Cycles run for 12 months from the first licence date. At a cycle's end points under 12 are
cleared, except those of decisions whose fine is still unpaid, which carry over (art 15). The
daily job is idempotent: each licence's cycle moves on by a conditional UPDATE on the old cycle
start, so a second run (or a second worker) finds nothing to do.
"""

import datetime
import random

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import audit
from portal.models import DrivingLicence, Vehicle
from violations.models import Decision, StudyQuestion, StudySession, Violation
from violations.services.common import ViolationError, one_year_after

STUDY_SECONDS = 30 * 60  # art 25: at least 30 minutes of online study ...
STUDY_WINDOW = datetime.timedelta(days=3)  # ... within 3 days
STUDY_MAX_PER_CYCLE = 6  # art 25: at most 6 points a cycle
STUDY_QUESTIONS = 10
STUDY_PASS = 9  # open122's pass mark: 9 of 10 correct
HEARTBEAT_CAP = 120  # seconds a single heartbeat may add (a tab left open counts no more)
# Codes whose decision in the last 3 cycles bars study (art 27: drink-driving, forged or borrowed plates).
STUDY_BARRED_CODES = ("1711", "1712", "1710")


def cycle_end(start: datetime.date) -> datetime.date:
    """The first day of the next cycle."""
    return one_year_after(start)


def cycles_close(today=None) -> int:
    """Close every cycle that ended on or before today; returns the number of cycles closed."""
    today = today or timezone.localdate()
    closed = 0
    # A year before today at the latest: cycles that started then or earlier have ended.
    due = DrivingLicence.objects.filter(cycle_start__lte=today - datetime.timedelta(days=365)).values_list(
        "pk", flat=True
    )
    for pk in due.iterator():
        while cycle_close(pk, today):
            closed += 1
    return closed


def cycle_close(licence_pk: int, today) -> bool:
    """Close one licence's cycle if it has ended. True when this call closed it."""
    with transaction.atomic():
        licence = DrivingLicence.objects.select_for_update(of=("self",)).select_related("city").get(pk=licence_pk)
        start = licence.cycle_start
        following = cycle_end(start)
        if following > today:
            return False
        carried = (
            Decision.objects.filter(licence=licence, points_cycle_start=start, status=Decision.Status.UNPAID).aggregate(
                total=Sum("points")
            )["total"]
            or 0
        )
        if licence.points >= 12:
            # Full score: the points stay until full-score education is passed (art 17); the
            # cycle still moves on so its end is not looked at again.
            new_points = licence.points
        else:
            new_points = min(carried, licence.points)
        won = DrivingLicence.objects.filter(pk=licence.pk, cycle_start=start).update(
            cycle_start=following, points=new_points
        )
        if not won:
            return False
        carried_ids = list(
            Decision.objects.filter(
                licence=licence, points_cycle_start=start, status=Decision.Status.UNPAID
            ).values_list("pk", flat=True)
        )
        Decision.objects.filter(pk__in=carried_ids).update(points_cycle_start=following)
        audit.record_rows(Decision.objects.filter(pk__in=carried_ids), f"points carried into the cycle of {following}")
        audit.record(
            licence, f"cycle {start} closed: {licence.points} -> {new_points} points (carried {carried})", None
        )
    return True


# --- study (学法减分) ------------------------------------------------------------------------
def study_refusals(licence, today=None) -> list[str]:
    """Why this driver may not study for a point reduction now (empty: they may)."""
    today = today or timezone.localdate()
    reasons = []
    if licence is None:
        return [_("No driving licence is on file for you.")]
    if licence.status != DrivingLicence.Status.NORMAL:
        reasons.append(
            _("Your licence is %(status)s; study for point reduction needs a licence in normal status.")
            % {"status": licence.get_status_display()}
        )
    if licence.points <= 0:
        reasons.append(_("You have no points to reduce."))
    if licence.points >= 12:
        reasons.append(_("With 12 points you attend full-score education instead."))
    if one_year_after(licence.first_issued_on) > today:
        reasons.append(_("Your licence is in its probation year."))
    if licence.valid_until and licence.valid_until < today:
        reasons.append(_("Your licence is overdue for renewal."))
    taken = (
        StudySession.objects.filter(licence=licence, cycle_start=licence.cycle_start).aggregate(
            total=Sum("points_taken_off")
        )["total"]
        or 0
    )
    if taken >= STUDY_MAX_PER_CYCLE:
        reasons.append(_("You have already had 6 points taken off by study in this cycle, the most allowed."))
    if Violation.objects.filter(
        vehicle__owner_id_number_hash=licence.id_number_hash,
        status__in=[Violation.Status.UNHANDLED, Violation.Status.OBJECTED],
    ).exists():
        reasons.append(_("Every record of your vehicles must be handled first."))
    if Decision.objects.filter(handler_id_number_hash=licence.id_number_hash, status=Decision.Status.UNPAID).exists():
        reasons.append(_("Every fine must be paid first."))
    three_cycles = licence.cycle_start.replace(year=licence.cycle_start.year - 3)
    if Decision.objects.filter(
        handler_id_number_hash=licence.id_number_hash,
        violation__code__code__in=STUDY_BARRED_CODES,
        decided_at__date__gte=three_cycles,
    ).exists():
        reasons.append(
            _("Drink-driving or forged or borrowed plates in the last three cycles bar point reduction (R-PTS art 27).")
        )
    if (
        Vehicle.objects.filter(owner_id_number_hash=licence.id_number_hash)
        .filter(status__in=[Vehicle.Status.OVERDUE_INSPECTION, Vehicle.Status.SCRAP])
        .exists()
    ):
        reasons.append(
            _("A vehicle you own is overdue for inspection or due for scrapping and not deregistered (R-PTS art 27).")
        )
    if reasons:
        reasons.append(_("Please go to the vehicle administration office (车管所) if you believe this is wrong."))
    return reasons


def study_start(licence, user=None) -> StudySession:
    reasons = study_refusals(licence)
    if reasons:
        raise ViolationError(reasons[0], reasons)
    now = timezone.now()
    open_session = StudySession.objects.filter(licence=licence, status=StudySession.Status.STUDYING).first()
    if open_session is not None and now - open_session.started_at <= STUDY_WINDOW:
        return open_session
    if open_session is not None:
        if StudySession.objects.filter(pk=open_session.pk, status=StudySession.Status.STUDYING).update(
            status=StudySession.Status.EXPIRED, finished_at=now
        ):
            audit.record(open_session, "3 days passed", user)
    try:
        with transaction.atomic():
            session = StudySession(licence=licence, cycle_start=licence.cycle_start, started_at=now, last_seen_at=now)
            session._history_user = user
            session.save()
    except IntegrityError:
        session = StudySession.objects.get(licence=licence, status=StudySession.Status.STUDYING)
    return session


def study_heartbeat(session) -> int:
    """The study page reports every minute it stays open; each report adds the seconds since the
    last one, at most HEARTBEAT_CAP (a page left idle for an hour counts 2 minutes)."""
    now = timezone.now()
    elapsed = int((now - session.last_seen_at).total_seconds())
    add = max(0, min(elapsed, HEARTBEAT_CAP))
    StudySession.objects.filter(pk=session.pk, status=StudySession.Status.STUDYING).update(
        seconds_studied=F("seconds_studied") + add, last_seen_at=now
    )
    session.refresh_from_db()
    return session.seconds_studied


def study_questions(session) -> list[StudyQuestion]:
    """The session's questions: a fixed draw per session, so a reload shows the same test."""
    pool = list(StudyQuestion.objects.filter(is_active=True).order_by("pk"))
    random.Random(session.pk).shuffle(pool)
    return pool[:STUDY_QUESTIONS]


def study_submit(session, answers: dict, user=None) -> bool:
    """Mark the test; a pass takes 1 point off (never below 0, never past 6 a cycle)."""
    now = timezone.now()
    if session.status != StudySession.Status.STUDYING:
        raise ViolationError(_("This study session has ended."))
    if now - session.started_at > STUDY_WINDOW:
        if StudySession.objects.filter(pk=session.pk, status=StudySession.Status.STUDYING).update(
            status=StudySession.Status.EXPIRED, finished_at=now
        ):
            audit.record(session, "3 days passed", user)
        raise ViolationError(_("The 3 days for this study have passed; start again."))
    if session.seconds_studied < STUDY_SECONDS:
        raise ViolationError(
            _("Study at least 30 minutes before the test (so far %(minutes)s).")
            % {"minutes": session.seconds_studied // 60}
        )
    questions = study_questions(session)
    correct = sum(1 for q in questions if answers.get(str(q.pk)) == q.answer)
    passed = correct >= min(STUDY_PASS, len(questions))
    with transaction.atomic():
        licence = DrivingLicence.objects.select_for_update(of=("self",)).get(pk=session.licence_id)
        reasons = study_refusals(licence)
        if passed and reasons:
            raise ViolationError(reasons[0], reasons)
        status = StudySession.Status.PASSED if passed else StudySession.Status.FAILED
        won = StudySession.objects.filter(pk=session.pk, status=StudySession.Status.STUDYING).update(
            status=status, finished_at=now, points_taken_off=1 if passed else 0
        )
        if not won:
            raise ViolationError(_("This study session has ended."))
        audit.record(session, f"test {correct}/{len(questions)}", user)
        if passed:
            DrivingLicence.objects.filter(pk=licence.pk, points__gte=1).update(points=F("points") - 1)
            audit.record(licence, "1 point taken off by study", user)
    session.refresh_from_db()
    return passed
