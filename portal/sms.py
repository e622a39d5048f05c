"""SMS backends, chosen by settings.SMS_BACKEND like Django's email backends.

ConsoleBackend (development) prints; LocmemBackend (tests) keeps an outbox; HttpBackend sends a
signed request to a gateway. All return a message id.
"""

import logging
import uuid

from django.conf import settings
from django.utils.module_loading import import_string

from portal import identity

log = logging.getLogger(__name__)

outbox: list[dict] = []


class BaseBackend:
    def send(self, mobile: str, text: str) -> str:
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    def send(self, mobile, text):
        message_id = uuid.uuid4().hex
        # Development only: the full number is shown so a developer can log in; never logged.
        print(f"[SMS to {mobile}] {text}", flush=True)
        return message_id


class LocmemBackend(BaseBackend):
    def send(self, mobile, text):
        message_id = uuid.uuid4().hex
        outbox.append({"mobile": mobile, "text": text, "message_id": message_id})
        return message_id


def get_backend() -> BaseBackend:
    return import_string(settings.SMS_BACKEND)()


def send_sms(mobile: str, text: str) -> str:
    message_id = get_backend().send(mobile, text)
    log.info("sms sent to %s id=%s", identity.mask_mobile(mobile), message_id)
    return message_id
