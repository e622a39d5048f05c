"""Every write of the certificates app, split by topic; import from here."""

from certificates.services.applications import (  # noqa: F401
    KINDS,
    PAYMENT_PURPOSE,
    SMS_PURPOSE,
    Refusal,
    application_paid,
    application_pay,
    application_submit,
    application_withdraw,
    applications_expire_unpaid,
    charges,
    pay_deadline,
    refusals,
    send_code,
    subjects,
)
from certificates.services.common import CertificateError  # noqa: F401
from certificates.services.deferrals import (  # noqa: F401
    deferral_approve,
    deferral_refusals,
    deferral_refuse,
    deferral_submit,
)
from certificates.services.documents import document_issue, documents_void_for, qr_svg  # noqa: F401
from certificates.services.medical import correction_deadline, medical_correct, medical_upload  # noqa: F401
from certificates.services.office import (  # noqa: F401
    MAIL_PURPOSE,
    application_approve,
    application_collected,
    application_produce,
    application_reject,
    mail_status_changed,
    mailout_create,
)
