"""A citizen's contact details on file: the mobile and the postal address (变更联系方式).

R-DL art 81 (docs/rules.md §1.1): a driver reports a changed mobile or address within 30 days.
A new mobile is accepted only with a code sent to the old mobile AND one sent to the new one, so
neither someone holding only the new phone nor someone holding only the session can move the
account; the registry's copies (`Vehicle.owner_mobile`, `DrivingLicence.mobile`) follow through
portal.registry_services. Whoever lost the old mobile goes to a counter
(account_services.account_recover_at_counter).
"""

import re

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from portal import account_services, identity, registry_services
from portal.account_services import AccountError
from portal.models import User
from portal.ratelimits import client_ip

PURPOSE_OLD = "contact.old"
PURPOSE_NEW = "contact.new"
POSTCODE_RE = re.compile(r"^[1-8]\d{5}$")
# R-DL art 81: a change is reported within 30 days (calendar days: "三十日" is not in art 110's list).
REPORT_WITHIN_DAYS = 30


def _new_mobile(user: User, mobile: str) -> str:
    try:
        mobile = identity.validate_mobile(mobile)
    except Exception as exc:
        raise AccountError(" ".join(getattr(exc, "messages", [str(exc)])), field="new_mobile") from None
    if mobile == user.mobile:
        raise AccountError(_("This is already the mobile number on file."), field="new_mobile")
    return mobile


def contact_send_codes(request, user: User, new_mobile: str) -> None:
    """Send one code to the account's mobile and one to the new mobile. Whether the new mobile
    belongs to another account is said only once its code is proven (docs/rules.md §1)."""
    new_mobile = _new_mobile(user, new_mobile)
    account_services.limits_enforce(
        request,
        "contact-send",
        [user.mobile, new_mobile],
        account_services.SEND_PER_IP,
        account_services.SEND_PER_TARGET,
        "old_code",
    )
    ip = client_ip(request)
    account_services.code_send(user.mobile, PURPOSE_OLD, ip)
    account_services.code_send(new_mobile, PURPOSE_NEW, ip)


def contact_change_mobile(request, user: User, *, new_mobile: str, old_code: str, new_code: str) -> User:
    """Replace the mobile on file: the account's login and notice number, and the registry's
    copies when the account is verified against the registry (an unverified account must not
    rewrite another person's records)."""
    new_mobile = _new_mobile(user, new_mobile)
    if request is not None:
        account_services.limits_enforce(
            request,
            "contact-submit",
            [user.mobile, new_mobile],
            account_services.SUBMIT_PER_IP,
            account_services.SUBMIT_PER_TARGET,
            "old_code",
        )
    try:
        account_services.code_check(user.mobile, PURPOSE_OLD, old_code)
    except AccountError as exc:
        raise AccountError(exc.message, field="old_code") from None
    try:
        account_services.code_check(new_mobile, PURPOSE_NEW, new_code)
    except AccountError as exc:
        raise AccountError(exc.message, field="new_code") from None
    taken = _("This mobile number is already used by another account.")
    verified = user.registry_verified
    try:
        with transaction.atomic():
            locked = User.objects.select_for_update().get(pk=user.pk)
            if User.objects.filter(mobile=new_mobile).exclude(pk=locked.pk).exists():
                raise AccountError(taken, field="new_mobile")
            locked._history_user = locked
            locked._change_reason = "mobile changed online (codes to old and new)"
            locked.mobile = new_mobile
            locked.save(update_fields=["mobile"])
            if verified:
                registry_services.registry_mobile_change(
                    locked.id_number, new_mobile, by=locked, reason="contact change online"
                )
    except IntegrityError:  # a concurrent change took the number after the check
        raise AccountError(taken, field="new_mobile") from None
    return locked


def contact_change_address(user: User, *, address: str, postcode: str) -> User:
    address = " ".join((address or "").split())
    postcode = identity.nfkc(postcode or "").strip()
    if len(address) < 6:
        raise AccountError(_("Enter the full address: city, district, street and number."), field="postal_address")
    if len(address) > 300:
        raise AccountError(_("The address is too long (at most 300 characters)."), field="postal_address")
    if not POSTCODE_RE.match(postcode):
        raise AccountError(_("A postcode is 6 digits."), field="postcode")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked._history_user = locked
        locked._change_reason = "postal address changed online"
        locked.postal_address, locked.postcode = address, postcode
        locked.save(update_fields=["postal_address", "postcode"])
    return locked
