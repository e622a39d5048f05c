"""Registration, login (password or SMS code), password reset, identity verification, and the SMS
gateway's delivery receipts."""

import json
import logging

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from portal import account_services, auth_backends, sms
from portal.forms import (
    IdentityVerifyForm,
    LoginForm,
    PasswordResetForm,
    RegistrationForm,
    SendCodeForm,
    SmsLoginForm,
)

log = logging.getLogger(__name__)
BACKEND = "portal.auth_backends.IdNumberOrMobileBackend"


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
    return {name: data.get(name, "") for name in form_class.base_fields if name != "code"}


def _send_code_step(request, form_class, send):
    """Handle a "send code" press: keep what was typed, report the outcome beside the button."""
    context = {"form": form_class(initial=_initial_from(request.POST, form_class))}
    mobile_form = SendCodeForm(request.POST)
    if not mobile_form.is_valid():
        context["sms_error"] = " ".join(mobile_form.errors["mobile"])
        return context
    try:
        send(request, mobile_form.cleaned_data["mobile"])
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
            user = account_services.register_citizen(
                real_name=data["real_name"],
                id_number=data["id_number"],
                mobile=data["mobile"],
                password=data["password1"],
                code=data["code"],
                request=request,
            )
        except account_services.AccountError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, _("Your account has been created. Log in with your ID number or mobile number."))
            if not user.registry_verified:
                messages.info(
                    request,
                    _(
                        "The registry holds another mobile number for your ID number. After logging in, verify "
                        "your identity by a code to that number, or at a counter, to see your vehicles and licence."
                    ),
                )
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
            account_services.reset_password(
                mobile=data["mobile"], code=data["code"], password=data["password1"], request=request
            )
        except account_services.AccountError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, _("Your password has been changed. Log in with the new password."))
            return redirect(reverse("accounts:login"))
    return render(request, "portal/password_reset.html", {"form": form})


def _next_url(request):
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return url
    return reverse("portal:home")


def sms_login(request):
    """Log in with a code sent to the account's mobile (never blocked by failed passwords)."""
    if request.user.is_authenticated:
        return redirect("portal:home")
    if request.method == "POST" and "send_code" in request.POST:
        context = _send_code_step(request, SmsLoginForm, account_services.send_login_code)
        if context.get("sms_sent"):
            context["sms_notice"] = _(
                "If this mobile number belongs to an account, a code has been sent to it. Enter it below within 5 minutes."
            )
        context["next"] = request.POST.get("next", "")
        return render(request, "portal/login_sms.html", context)
    form = SmsLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = account_services.login_by_code(request, form.cleaned_data["mobile"], form.cleaned_data["code"])
        except account_services.AccountError as exc:
            form.add_error(exc.field, exc.message)
        else:
            auth_login(request, user, backend=BACKEND)
            auth_backends.remember_user(user)
            return redirect(_next_url(request))
    return render(request, "portal/login_sms.html", {"form": form, "next": request.GET.get("next", "")})


@login_required
def identity_verify(request):
    """Verify the account against the registry: a code to a mobile on file, or go to a counter."""
    user = request.user
    if user.registry_verified:
        return render(request, "portal/identity_verify.html", {"verified": True})
    mobiles = account_services.registry_mobile_choices(user)
    form = IdentityVerifyForm(request.POST or None, mobiles=mobiles)
    context = {"form": form, "has_mobiles": bool(mobiles)}
    if request.method == "POST" and mobiles and "send_code" in request.POST:
        form = IdentityVerifyForm(initial={"target": request.POST.get("target", "")}, mobiles=mobiles)
        context["form"] = form
        try:
            choice = int(request.POST.get("target", ""))
        except ValueError:
            choice = -1
        try:
            account_services.send_identity_code(request, user, choice)
        except account_services.AccountError as exc:
            context["sms_error"] = exc.message
        else:
            context["sms_sent"] = True
            context["sms_notice"] = _("A code has been sent to the chosen number. Enter it below within 5 minutes.")
    elif request.method == "POST" and mobiles and form.is_valid():
        try:
            account_services.identity_verify_by_code(
                request, user, form.cleaned_data["target"], form.cleaned_data["code"]
            )
        except account_services.AccountError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, _("Your identity is verified. Your vehicles and licences are shown now."))
            return redirect("portal:home")
    return render(request, "portal/identity_verify.html", context)


@csrf_exempt
@require_POST
def sms_receipt(request):
    """Delivery receipt from the SMS gateway (http backend). Signed; each nonce is applied once."""
    try:
        payload = json.loads(request.body or b"{}")
        if not isinstance(payload, dict):
            raise ValueError
    except (ValueError, RecursionError):  # RecursionError: JSON nested deeper than the parser's stack
        return JsonResponse({"result": "bad request"}, status=400)
    try:
        updated = sms.handle_receipt(payload)
    except sms.ReceiptRejected as exc:
        log.warning("sms receipt rejected: %s", exc)
        return HttpResponseForbidden("forbidden")
    except sms.ReceiptReplayed:
        log.warning("sms receipt replayed; ignored")
        return JsonResponse({"result": "duplicate"}, status=409)
    return JsonResponse({"result": "ok" if updated else "ignored"})
