"""Registration, login, password reset, and the SMS gateway's delivery receipts."""

import json
import logging

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from portal import account_services, auth_backends, sms
from portal.forms import LoginForm, PasswordResetForm, RegistrationForm, SendCodeForm

log = logging.getLogger(__name__)


class LoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        # After Django's login() has saved last_login: the next page finds the user in the cache.
        auth_backends.remember_user(user=form.get_user())
        return response


def _initial_from(data, form_class):
    return {name: data.get(name, "") for name in form_class.base_fields}


def _send_code_step(request, form_class, send):
    """Handle a "send code" press: keep what was typed, report the outcome beside the button."""
    context = {"form": form_class(initial=_initial_from(request.POST, form_class))}
    mobile_form = SendCodeForm(request.POST)
    if not mobile_form.is_valid():
        context["sms_error"] = " ".join(mobile_form.errors["mobile"])
        return context
    try:
        send(mobile_form.cleaned_data["mobile"], account_services.client_ip(request))
    except account_services.AccountError as exc:
        context["sms_error"] = exc.message
        return context
    context["sms_sent"] = True
    return context


def register(request):
    if request.user.is_authenticated:
        return redirect("portal:home")
    if request.method == "POST" and "send_code" in request.POST:
        context = _send_code_step(request, RegistrationForm, account_services.send_registration_code)
        if context.get("sms_sent"):
            context["sms_notice"] = _("A code has been sent to your mobile. Enter it below within 5 minutes.")
        return render(request, "portal/register.html", context)
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account_services.register_citizen(
                real_name=data["real_name"],
                id_number=data["id_number"],
                mobile=data["mobile"],
                password=data["password1"],
                code=data["code"],
            )
        except account_services.AccountError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, _("Your account has been created. Log in with your ID number or mobile number."))
            return redirect("accounts:login")
    return render(request, "portal/register.html", {"form": form})


def password_reset(request):
    if request.method == "POST" and "send_code" in request.POST:
        context = _send_code_step(request, PasswordResetForm, account_services.send_reset_code)
        if context.get("sms_sent"):
            context["sms_notice"] = _(
                "If this mobile number belongs to an account, a code has been sent to it. Enter it below within 5 minutes."
            )
        return render(request, "portal/password_reset.html", context)
    form = PasswordResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account_services.reset_password(mobile=data["mobile"], code=data["code"], password=data["password1"])
        except account_services.AccountError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, _("Your password has been changed. Log in with the new password."))
            return redirect(reverse("accounts:login"))
    return render(request, "portal/password_reset.html", {"form": form})


@csrf_exempt
@require_POST
def sms_receipt(request):
    """Delivery receipt from the SMS gateway (http backend). Signed; repeated receipts are harmless."""
    try:
        payload = json.loads(request.body or b"{}")
        if not isinstance(payload, dict):
            raise ValueError
    except ValueError:
        return JsonResponse({"result": "bad request"}, status=400)
    try:
        updated = sms.handle_receipt(payload)
    except sms.ReceiptRejected as exc:
        log.warning("sms receipt rejected: %s", exc)
        return HttpResponseForbidden("forbidden")
    return JsonResponse({"result": "ok" if updated else "ignored"})
