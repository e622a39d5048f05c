"""My details (变更联系方式): the mobile and postal address on file (docs/rules.md §1.1)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from portal import contact_services
from portal.account_services import AccountError
from portal.decorators import city_required, registry_verified_required
from portal.forms import ContactAddressForm, ContactMobileForm, MobileField


@city_required
@login_required
@registry_verified_required
def my_details(request):
    user = request.user
    mobile_form = ContactMobileForm()
    address_form = ContactAddressForm(initial={"postal_address": user.postal_address, "postcode": user.postcode})
    context = {"report_days": contact_services.REPORT_WITHIN_DAYS}
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action == "send":
        mobile_form = ContactMobileForm(initial={"new_mobile": str(request.POST.get("new_mobile", ""))[:20]})
        field = MobileField()
        try:
            contact_services.contact_send_codes(request, user, field.clean(request.POST.get("new_mobile", "")))
        except AccountError as exc:
            context["sms_error"] = exc.message
        except Exception as exc:  # the field's ValidationError
            context["sms_error"] = " ".join(getattr(exc, "messages", [_("Enter a valid mobile number.")]))
        else:
            context["sms_notice"] = _(
                "A code has been sent to your current mobile and one to the new mobile. Enter both within 5 minutes."
            )
    elif action == "mobile":
        mobile_form = ContactMobileForm(request.POST)
        if mobile_form.is_valid():
            data = mobile_form.cleaned_data
            try:
                contact_services.contact_change_mobile(
                    request, user, new_mobile=data["new_mobile"], old_code=data["old_code"], new_code=data["new_code"]
                )
            except AccountError as exc:
                mobile_form.add_error(exc.field if exc.field in mobile_form.fields else None, exc.message)
            else:
                messages.success(request, _("Your mobile number on file has been changed."))
                return redirect("portal:my_details")
    elif action == "address":
        address_form = ContactAddressForm(request.POST)
        if address_form.is_valid():
            data = address_form.cleaned_data
            try:
                contact_services.contact_change_address(user, address=data["postal_address"], postcode=data["postcode"])
            except AccountError as exc:
                address_form.add_error(exc.field if exc.field in address_form.fields else None, exc.message)
            else:
                messages.success(request, _("Your postal address on file has been changed."))
                return redirect("portal:my_details")
    context.update(mobile_form=mobile_form, address_form=address_form)
    return render(request, "portal/my_details.html", context)
