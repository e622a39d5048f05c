"""Production refuses the sandboxes and the repository's secrets; payments resist forgeries."""

import subprocess
import sys
from decimal import Decimal

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from portal import checks
from portal.models import Payment, Refund
from portal.payments import gateways, services
from tests.portal.test_payments import _pay_at_sandbox, _signed, _start


def _ids(errors):
    return sorted({e.id for e in errors})


def test_debug_off_with_the_sandboxes_and_default_secrets_is_an_error(settings):
    settings.DEBUG = False
    settings.ALLOW_SANDBOX_BACKENDS = False
    errors = checks.production_backends()
    assert _ids(errors) == ["open122.E001", "open122.E002", "open122.E003"]
    names = " ".join(e.msg for e in errors)
    for name in (
        "PAYMENT_GATEWAY",
        "POSTAL_CARRIER",
        "PUSH_BACKEND",
        "PAYMENT_SANDBOX_SECRET",
        "SMS_HTTP_SECRET",
        "ACCIDENT_INSURER_BACKEND",
        "ACCIDENT_INSURER_SECRET",
        "ID_HASH_KEY",
        "ID_ENCRYPTION_KEY",
    ):
        assert name in names
    with pytest.raises(SystemCheckError):
        call_command("check")


def test_real_backends_with_own_secrets_pass(settings):
    settings.DEBUG = False
    settings.ALLOW_SANDBOX_BACKENDS = False
    settings.PAYMENT_GATEWAY = "example.AlipayGateway"
    settings.POSTAL_CARRIER = "example.EmsCarrier"
    settings.SMS_BACKEND = "portal.sms.HttpBackend"
    settings.PUSH_BACKEND = "example.Push"
    settings.ACCIDENT_INSURER_BACKEND = "violations.insurers.HttpInsurer"
    settings.SECRET_KEY = "a-real-secret-of-this-deployment-0123456789"
    secrets = ("PAYMENT_SANDBOX_SECRET", "POSTAL_SANDBOX_SECRET", "SMS_HTTP_SECRET", "PUSH_SANDBOX_SECRET")
    for name in (*secrets, "ACCIDENT_INSURER_SECRET"):
        setattr(settings, name, f"own-{name}")
    settings.ID_HASH_KEY = "own-id-hash-key"
    # A new encryption key first; the public one may stay behind it to read rows not yet re-encrypted.
    settings.FIELD_ENCRYPTION_KEY = [Fernet.generate_key().decode(), checks.PUBLIC_DEFAULT_ENCRYPTION_KEY]
    assert checks.production_backends() == []


def test_the_public_encryption_key_first_is_an_error(settings):
    settings.DEBUG = False
    settings.ALLOW_SANDBOX_BACKENDS = False
    settings.FIELD_ENCRYPTION_KEY = [checks.PUBLIC_DEFAULT_ENCRYPTION_KEY, Fernet.generate_key().decode()]
    assert "open122.E003" in _ids(checks.production_backends())


def test_a_demo_may_allow_the_sandboxes_explicitly_and_debug_needs_nothing(settings):
    settings.DEBUG = False
    settings.ALLOW_SANDBOX_BACKENDS = True
    assert checks.production_backends() == []
    settings.ALLOW_SANDBOX_BACKENDS = False
    settings.DEBUG = True
    assert checks.production_backends() == []


def test_the_wsgi_application_refuses_to_start_and_bench_settings_start():
    env = {"DEBUG": "false", "SECRET_KEY": "x" * 50, "DJANGO_SETTINGS_MODULE": "portal.settings"}
    import os

    base = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "ALLOW_SANDBOX_BACKENDS")}
    refused = subprocess.run(
        [sys.executable, "-c", "import portal.wsgi"], env={**base, **env}, capture_output=True, text=True
    )
    assert refused.returncode != 0 and "open122.E001" in refused.stderr
    bench = subprocess.run(
        [sys.executable, "-c", "import portal.wsgi"],
        env={**base, "DJANGO_SETTINGS_MODULE": "portal.bench_settings"},
        capture_output=True,
        text=True,
    )
    assert bench.returncode == 0, bench.stderr


def test_a_cancelled_order_is_never_marked_paid(client, has, citizen):
    payment = _start(has, citizen)
    client.force_login(citizen)
    client.post(payment.cashier_url, {"action": "cancel"}, HTTP_HOST="has.localhost")
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CANCELLED
    # A correctly signed success for the cancelled order (forged with the secret, or late).
    forged = _signed(payment.order_number, trade_status=gateways.TRADE_SUCCESS, trade_no="FORGED1")
    assert services.handle_notification(forged) is False
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CANCELLED and payment.paid_at is None


def test_order_pages_belong_to_their_payer(client, has, citizen, other_citizen, clerk_has):
    payment = _start(has, citizen)
    urls = [payment.cashier_url, f"/pay/result/{payment.order_number}/"]
    for url in urls:
        anonymous = client.get(url, HTTP_HOST="has.localhost")
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous.url
    client.force_login(other_citizen)
    for url in urls:
        assert client.get(url, HTTP_HOST="has.localhost").status_code == 404
    assert client.post(payment.cashier_url, {"action": "cancel"}, HTTP_HOST="has.localhost").status_code == 404
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING
    client.force_login(clerk_has)  # the city's clerk may look at the result, not pay or cancel
    assert client.get(urls[1], HTTP_HOST="has.localhost").status_code == 200
    assert client.get(urls[0], HTTP_HOST="has.localhost").status_code == 404
    client.force_login(citizen)
    assert b"60.00" in client.get(urls[0], HTTP_HOST="has.localhost").content


def test_order_numbers_carry_56_random_bits(has, citizen):
    numbers = [_start(has, citizen, reference=f"test.item:{i}").order_number for i in range(20)]
    assert all(len(n) == 31 and n.isdigit() for n in numbers)
    assert len({n[14:] for n in numbers}) == 20


def test_a_refused_refund_is_recorded_as_failed_and_shown_to_the_clerk(client, has, citizen, clerk_has):
    payment = _start(has, citizen)
    _pay_at_sandbox(payment.order_number)
    assert services.handle_notification(_signed(payment.order_number))
    trade = gateways.SandboxGateway().trade(payment.order_number)
    trade["status"] = gateways.TRADE_CLOSED  # the gateway will refuse: "trade not paid"
    gateways.SandboxGateway()._save(payment.order_number, trade)
    with pytest.raises(services.PaymentError):
        services.request_refund(payment, reason="考试取消")
    refund = Refund.objects.get(payment=payment)
    assert refund.status == Refund.Status.FAILED and refund.completed_at is not None
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PAID and payment.refunded_amount == Decimal("0")
    client.force_login(clerk_has)
    page = client.get(f"/admin/portal/refund/{refund.pk}/change/", HTTP_HOST="has.localhost").content.decode()
    assert "trade not paid" in page
    listing = client.get("/admin/portal/refund/?status__exact=failed", HTTP_HOST="has.localhost").content.decode()
    assert refund.refund_number in listing
    # and a new attempt is possible (the failed one no longer counts as pending)
    gateways.SandboxGateway()._save(payment.order_number, {**trade, "status": gateways.TRADE_SUCCESS})
    assert services.request_refund(payment, reason="再试").status == Refund.Status.SUCCEEDED


def test_check_deploy_with_production_settings_reports_nothing():
    import os
    import secrets

    dropped = ("DJANGO_SETTINGS_MODULE", "ALLOW_SANDBOX_BACKENDS", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        DEBUG="false",
        DJANGO_SETTINGS_MODULE="portal.settings",
        SECRET_KEY=secrets.token_urlsafe(60),
        PAYMENT_GATEWAY="deployment.payments.AlipayGateway",
        POSTAL_CARRIER="deployment.postal.EmsCarrier",
        SMS_BACKEND="portal.sms.HttpBackend",
        PUSH_BACKEND="deployment.push.Push",
        SMS_HTTP_SECRET=secrets.token_hex(16),
        PUSH_SANDBOX_SECRET=secrets.token_hex(16),
        ACCIDENT_INSURER_BACKEND="violations.insurers.HttpInsurer",
        ACCIDENT_INSURER_SECRET=secrets.token_hex(16),
        ID_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        ID_HASH_KEY=secrets.token_urlsafe(32),
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    shown = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings as s; print(s.SECURE_PROXY_SSL_HEADER, s.LANGUAGE_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert "('HTTP_X_FORWARDED_PROTO', 'https') True 31536000" in shown.stdout, shown.stderr


def test_pages_send_a_strict_content_security_policy(client, has):
    response = client.get("/", HTTP_HOST="has.localhost")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert "<script>" not in response.content.decode()
