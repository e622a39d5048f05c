"""Payments under load: payers paying at the sandbox cashier, and the gateway's notifications.

cashier_*: each operation is one payer opening the cashier page and pressing pay (GET + POST,
then the redirect to the result page); the signed notification that settles the payment is
sent by the bench's Celery worker, and `paid` counts the payments settled within a minute.
notify_*: the gateway re-delivering signed notifications for paid orders (the idempotent path
every real gateway exercises with its retries).
"""

import sys
import time
from decimal import Decimal

from bench import common

NAME = "payments"


def _seed(count: int):
    from portal.models import City, Payment
    from portal.payments import services
    from tests.factories import UserFactory

    services.register_purpose("bench.fee")
    city = City.objects.get(code="has")
    payer = UserFactory()  # password "Secret-pass-123"; the cashier is the payer's page only
    payments = [
        services.start_payment(
            purpose="bench.fee",
            reference=f"bench.item:{common.unique_suffix()}",
            city=city,
            payer=payer,
            amount=Decimal("60.00"),
            description="科目一考试费",
        )
        for _ in range(count)
    ]
    return [p.order_number for p in payments], Payment, payer


def run(ctx):
    from portal.payments.gateways import SandboxGateway

    count = 16 if ctx.quick else 800
    orders, Payment, payer = _seed(count)
    host = ctx.host("has")

    def sign_in(client, worker):
        common.login_sync(client, host, payer.mobile, "Secret-pass-123")

    def pay(client, worker, i):
        url = f"/pay/sandbox/cashier/{orders[i]}/"
        page = client.get(url, headers={"Host": host})
        if page.status_code != 200:
            return False
        response = client.post(
            url, data={"csrfmiddlewaretoken": common.csrf_token(page.text), "action": "pay"}, headers={"Host": host}
        )
        return response.status_code == 302

    cashier = common.run_threads(ctx, pay, concurrency=min(ctx.concurrency, 32), iterations=len(orders), setup=sign_in)
    # The gateway's notification reaches the portal through the bench's Celery worker, after the
    # cashier page: wait for it as the citizen's result page would (at most a minute).
    deadline = time.monotonic() + 60
    while (paid := Payment.objects.filter(order_number__in=orders, status="paid").count()) < len(orders):
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)

    gateway = SandboxGateway()
    notes = [gateway.notification_for(o) for o in orders]

    async def notify(client, worker, i):
        response = await client.post("/pay/notify/", data=notes[i % len(notes)], headers={"Host": host})
        return response.text == "success"

    repeated, beside = common.beside_baseline(
        ctx, lambda: common.run_load(ctx, notify, concurrency=ctx.concurrency, duration=ctx.duration)
    )
    for sample in cashier.error_samples + repeated.error_samples:
        print(f"[bench payments] error sample: {sample}", file=sys.stderr)
    return {
        **cashier.summary("cashier_"),
        "paid": paid,
        **repeated.summary("notify_"),
        **beside,
        "notify_vs_db": common.ratio(repeated.rps, beside["baseline_db_rps"]),
    }
