"""Every business rule and every write of driving-exam booking (docs/rules.md §3).

Candidates (online) and clerks (phone, counter) go through the same functions. Scarce seats are
guarded by PostgreSQL: a partial unique constraint (one live request per candidate and subject),
a share lock on the plan row while requesting, and conditional UPDATEs that move a plan from
published to allocated exactly once. By topic: common (errors, audit rows), plans, candidates
(learner records, eligibility), requests, allocation (the draw, cancellation, freed seats),
fees, results, sweep. Inspection booking (车检预约, docs/rules.md §6.4) is a topic of its own,
used as `exams.services.inspection` (its names are not re-exported here).
"""

from exams.services.allocation import (
    booking_cancel,
    booking_last_cancel_day,
    bookings_expire_unpaid,
    decisions_notify,
    offer_respond,
    offers_expire,
    plan_allocate,
    plans_allocate,
    plans_due,
    seats_offer,
)
from exams.services.candidates import (
    CandidateState,
    candidate_state,
    permit_issue,
    record_create,
    record_find,
    record_has_priority,
    record_key_time,
    request_refusals,
)
from exams.services.common import (
    ExamError,
)
from exams.services.fees import (
    fee_amount,
    fee_paid,
    fee_pay_start,
    fee_terms,
)
from exams.services.plans import (
    CSV_COLUMNS,
    plan_cancel,
    plan_closes_on,
    plan_is_open,
    plan_last_publish_day,
    plan_publish,
    plan_seed_revealed,
    plan_validate,
    plans_create,
    plans_import_csv,
)
from exams.services.requests import (
    request_create,
    request_create_online,
    request_rank,
    request_withdraw,
)
from exams.services.results import (
    result_record,
)
from exams.services.sweep import (
    sweep,
)

__all__ = [
    "bookings_expire_unpaid",
    "fee_amount",
    "fee_pay_start",
    "fee_paid",
    "fee_terms",
    "plan_cancel",
    "plan_last_publish_day",
    "plan_seed_revealed",
    "CSV_COLUMNS",
    "CandidateState",
    "ExamError",
    "booking_cancel",
    "booking_last_cancel_day",
    "candidate_state",
    "decisions_notify",
    "offer_respond",
    "offers_expire",
    "permit_issue",
    "plan_allocate",
    "plan_closes_on",
    "plan_is_open",
    "plan_publish",
    "plan_validate",
    "plans_allocate",
    "plans_create",
    "plans_due",
    "plans_import_csv",
    "record_create",
    "record_find",
    "record_has_priority",
    "record_key_time",
    "request_create",
    "request_create_online",
    "request_rank",
    "request_refusals",
    "request_withdraw",
    "result_record",
    "seats_offer",
    "sweep",
]
