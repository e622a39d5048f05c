from celery import shared_task

from portal import sms as sms_backends
from portal.models import SmsCode


@shared_task(acks_late=True)
def send_verification_sms(sms_code_id: int, text: str) -> None:
    code = SmsCode.objects.filter(pk=sms_code_id, message_id="").first()
    if code is None:
        return  # already sent (a redelivered task)
    message_id = sms_backends.send_sms(code.mobile, text)
    SmsCode.objects.filter(pk=sms_code_id).update(message_id=message_id)
