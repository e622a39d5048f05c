"""Every write of plate preselection. Views, admin actions and the Celery sweep call these.

Scarce numbers are handed out by conditional UPDATEs on plates_platenumber (status and claim
expiry in the WHERE clause), with the partial-unique constraints on Hold and Selection as the
last line of defence. By topic: common (errors, city values, the claim), selection (a citizen's
session), holds (after confirmation, the office), pool (blocks and the sweep).
"""

from plates.services.common import PlateError, ban_period, deadline_day, hold_deadline
from plates.services.holds import (
    ban_lift,
    hall_draw,
    hall_select,
    hold_abandon,
    hold_approve,
    hold_lapse,
    hold_refuse_invoice,
    hold_register,
    hold_release,
    hold_upload_invoice,
    review_deadline,
)
from plates.services.pool import (
    block_announce,
    block_open,
    block_position_sets,
    block_size,
    earliest_opening,
    numbers_release,
    numbers_withhold,
    pattern_apply,
    sweep,
)
from plates.services.selection import (
    backup_claim,
    batch_draw,
    compose_round,
    selection_check_exhausted,
    selection_confirm,
    selection_start,
    selection_verify,
    send_confirm_code,
    send_start_code,
    validate_candidate,
    withheld_patterns,
)

__all__ = [
    "PlateError",
    "backup_claim",
    "ban_period",
    "ban_lift",
    "batch_draw",
    "block_announce",
    "block_open",
    "block_position_sets",
    "block_size",
    "compose_round",
    "deadline_day",
    "earliest_opening",
    "hall_draw",
    "hall_select",
    "hold_abandon",
    "hold_approve",
    "hold_deadline",
    "hold_lapse",
    "hold_refuse_invoice",
    "hold_register",
    "hold_release",
    "hold_upload_invoice",
    "review_deadline",
    "numbers_release",
    "numbers_withhold",
    "pattern_apply",
    "selection_check_exhausted",
    "selection_confirm",
    "selection_start",
    "selection_verify",
    "send_confirm_code",
    "send_start_code",
    "sweep",
    "validate_candidate",
    "withheld_patterns",
]
