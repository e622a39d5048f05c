"""Payment pages: the sandbox cashier, the notify endpoint, the result page and receipts."""

import logging

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from portal import identity
from portal.admin_helpers import clerk_city
from portal.models import Payment
from portal.payments import gateways, services
from portal.payments.pdf import receipt_pdf

log = logging.getLogger(__name__)


def _city_payment(request, order_number) -> Payment:
    """A payment of the site's city (another city's site answers 404)."""
    if request.city is None:
        raise Http404
    return get_object_or_404(Payment.objects.select_related("city"), order_number=order_number, city=request.city)


def _payer_payment(request, order_number) -> Payment:
    """A payment of the site's city that the signed-in user paid (anyone else: 404)."""
    payment = _city_payment(request, order_number)
    if not _is_payer(request.user, payment):
        raise Http404
    return payment


@login_required
@require_http_methods(["GET", "POST"])
def sandbox_cashier(request, order_number):
    """The sandbox gateway's cashier: the payer sees order number and amount and pays or cancels.

    Only the payer: the order number alone (on a receipt, in a browser history) opens nothing."""
    gateway = gateways.get_gateway()
    if not isinstance(gateway, gateways.SandboxGateway):
        raise Http404
    payment = _payer_payment(request, order_number)
    trade = gateway.trade(payment.order_number)
    if trade is None:
        raise Http404
    if request.method == "POST":
        notify_url = request.build_absolute_uri(reverse("pay:notify"))
        if request.POST.get("action") == "pay":
            gateway.payer_pays(payment.order_number, notify_url)
        elif request.POST.get("action") == "cancel":
            gateway.payer_cancels(payment.order_number, notify_url)
        return redirect("pay:result", order_number=payment.order_number)
    return render(
        request,
        "portal/payments/sandbox_cashier.html",
        {"payment": payment, "trade_status": trade["status"], "purpose": services.purpose_label(payment.purpose)},
    )


@csrf_exempt
@require_POST
def notify(request):
    """The gateway's asynchronous notification (signed; answered "success" or "fail" like Alipay)."""
    if services.handle_notification(request.POST.dict()):
        return HttpResponse("success", content_type="text/plain")
    return HttpResponseBadRequest("fail", content_type="text/plain")


@login_required
def result(request, order_number):
    """Where the payer lands after the cashier: the payment's state and the way back.

    The payer, the city's clerks and province administrators; anyone else gets 404."""
    payment = _city_payment(request, order_number)
    if not _may_see(request.user, payment):
        raise Http404
    return render(
        request,
        "portal/payments/result.html",
        {
            "payment": payment,
            "purpose": services.purpose_label(payment.purpose),
            "may_see_receipt": _may_see(request.user, payment),
        },
    )


def _is_payer(user, payment) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if payment.payer_id is not None:
        return payment.payer_id == user.pk
    return bool(user.id_number) and identity.id_key(user.id_number) == payment.payer_id_number_hash


def _may_see(user, payment) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser or _is_payer(user, payment):
        return True
    return clerk_city(user) == payment.city


def _receipt_payment(request, order_number) -> Payment:
    payment = _city_payment(request, order_number)
    if not payment.is_settled or not _may_see(request.user, payment):
        raise Http404
    return payment


@login_required
def receipt(request, order_number):
    payment = _receipt_payment(request, order_number)
    return render(
        request,
        "portal/payments/receipt.html",
        {"payment": payment, "purpose": services.purpose_label(payment.purpose), "refunds": payment.refunds.all()},
    )


@login_required
def receipt_download(request, order_number):
    payment = _receipt_payment(request, order_number)
    # In the page's language, like every document of portal.pdf (Chinese unless the visitor chose English).
    content = receipt_pdf(payment, str(services.purpose_label(payment.purpose)))
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{payment.order_number}.pdf"'
    return response
