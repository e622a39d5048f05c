"""Every write of the violations app. Views, admin actions and Celery tasks call these.

By topic: records (entry, CSV, notices, sweeps), handling (online handling, decisions, fines),
bindings (non-owned vehicles), watch (the watch list), objections, points (cycles, study), and
accidents (quick settlement, docs/rules.md §5.7; imported as `violations.services.accidents`).
"""

from violations.services.bindings import binding_approve, binding_refuse, binding_request, binding_revoke
from violations.services.common import ViolationError
from violations.services.handling import (
    amount_due,
    decision_pay_start,
    fine_due,
    fine_paid,
    group_refusals,
    handler_licence,
    record_refusals,
    unhandled_refusals,
    violation_handle,
)
from violations.services.records import (
    sweep_notify_due,
    sweep_proposed_penalty,
    violation_delete,
    violation_notify,
    violation_record,
    violations_import_csv,
)
from violations.services.watch import watch_clear, watch_reasons

__all__ = [
    "ViolationError",
    "amount_due",
    "binding_approve",
    "binding_refuse",
    "binding_request",
    "binding_revoke",
    "decision_pay_start",
    "fine_due",
    "fine_paid",
    "group_refusals",
    "handler_licence",
    "record_refusals",
    "sweep_notify_due",
    "sweep_proposed_penalty",
    "unhandled_refusals",
    "violation_delete",
    "violation_handle",
    "violation_notify",
    "violation_record",
    "violations_import_csv",
    "watch_clear",
    "watch_reasons",
]
