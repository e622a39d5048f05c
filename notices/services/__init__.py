"""Every write of the notices app. Split by topic; import from here."""

from notices.services.delivery import (  # noqa: F401
    announce,
    deliver_all,
    deliver_due,
    dispatch_new,
    kick_taken,
    mark_read,
    notice_insert_sql,
    notified,
    notify,
    notify_within,
    preferences_save,
    record_receipt,
    sms_release_time,
)
from notices.services.public import calendar_feed_regenerate, calendar_feed_token, question_answer, question_ask  # noqa: F401
from notices.services.sweeps import sweep  # noqa: F401
from notices.services.travel import TravelError, advisory_save, place_key, subscription_add, subscription_remove  # noqa: F401
from notices.services.units import unit_summaries  # noqa: F401
