from celery import shared_task

from portal import sms as sms_backends
from portal.models import SmsCode


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(sms_backends.SmsGatewayError,),
    retry_backoff=5,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=5,
)
def send_verification_sms(self, sms_code_id: int, text: str) -> None:
    """Send one verification SMS; a gateway error retries with back-off (the code lives 5 minutes)."""
    code = SmsCode.objects.filter(pk=sms_code_id, message_id="").first()
    if code is None:
        return  # already sent (a redelivered task)
    message_id = sms_backends.send_sms(code.mobile, text)
    SmsCode.objects.filter(pk=sms_code_id).update(message_id=message_id, delivery_status="sent")
