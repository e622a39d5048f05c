"""Fairness of a plate rush: a scripted fleet against people, on the same 20 "lucky" numbers.

A fleet of 50 scripted accounts (FLEET; quick: 4) runs from one address, as the fleet of issue 16
did (20 accounts from one address), and answers the opening at once and as often as the pages
allow; 50 people (quick: 4), each from their own address, react after 1-3 s and think 1-3 s
between rounds. Everyone solves the proof of work like a browser (portal.antibot; the bench
settings lower its cost, bench/common.solve_antibot), starts a selection, confirms the SMS code,
and then tries self-composed rounds of 5 lucky numbers (the 8-second interval between rounds of
the city's defaults applies to both). A person stops at the first lucky number; the fleet goes on.

Result: bot_share and human_share are lucky numbers won (reserved as backups at the end) per
account of each group; the rush is fair when bot_share <= human_share. fleet_started counts the
fleet accounts that got past the per-address limit on starting a selection (portal.ratelimits).

The control (`bin/bench.py --only fairness --no-guards`, guards=0 in the RESULT line) runs the
same rush with those limits and the proof of work off: the fleet then wins more per account than
the people, which is what the guards are there to prevent (figures in docs/benchmarks.md).
"""

import asyncio
import random
import time

from bench import common
from bench.plates import Client, _seed_people, _seed_pool

NAME = "fairness"
FLEET_ADDRESS = "10.66.0.1"


class Contender(Client):
    def __init__(self, ctx, person, vehicle, *, bot, address):
        super().__init__(ctx, person, vehicle, lucky=True, address=address)
        self.bot = bot
        self.started = False
        self.won = 0

    async def setup(self, gate):
        try:
            await super().setup(gate)
        except (AttributeError, KeyError, RuntimeError):
            return  # refused at the start (429 or no redirect): this account takes no part
        self.started = True

    async def contend(self, lucky, rounds, interval):
        if not self.started:
            return
        base = f"/plates/s/{self.selection}"
        order = random.sample(lucky, len(lucky))
        if not self.bot:
            await asyncio.sleep(random.uniform(1.0, 3.0))  # reading the page, finding the button
        for r in range(rounds):
            data = {}
            for i, number in enumerate(order[(r * 5) % len(order) :][:5]):
                data[f"c{i}_prefix"] = number[:2]
                data.update({f"c{i}_{p}": ch for p, ch in enumerate(number[2:])})
            response = await self.post(f"{base}/compose/", data)
            if response.headers.get("location", "").endswith(f"{base}/"):
                self.won += 1
                if not self.bot:
                    return  # a person wants one plate
            await asyncio.sleep(interval + (0.05 if self.bot else random.uniform(1.0, 3.0)))


def _lucky_won(lucky, people) -> dict:
    from plates.models import PlateNumber

    owners = dict(
        PlateNumber.objects.filter(number__in=lucky, status="backup").values_list(
            "number", "claimed_selection__citizen_id"
        )
    )
    return {pk: sum(1 for owner in owners.values() if owner == pk) for pk in people}


async def _drive(ctx, contenders, lucky, rounds, interval):
    try:
        gate = asyncio.Semaphore(8)
        await asyncio.gather(*(c.setup(gate) for c in contenders))
        started = time.perf_counter()
        await asyncio.gather(*(c.contend(lucky, rounds, interval) for c in contenders))
        return time.perf_counter() - started
    finally:
        await asyncio.gather(*(c.close() for c in contenders))


def run(ctx) -> dict:
    from django.conf import settings

    from plates import selectors
    from portal.models import City, CitySetting

    n = 4 if ctx.quick else 50
    lucky_count = 4 if ctx.quick else 20
    has = City.objects.get(code="has")
    # City defaults (8 s between composed rounds, a second SMS only at confirmation, which this
    # rush does not reach); other benches may have changed them for their own runs.
    for key in ("plate_compose_interval_seconds", "plate_suspicious_selections_per_hour", "plate_second_sms"):
        CitySetting.objects.filter(city=has, key=key).delete()
    from portal import citysettings

    interval = citysettings.get(has, "plate_compose_interval_seconds")
    _seed_pool(has, "G0000", "G0999" if ctx.quick else "G9999")
    lucky = [number for number in selectors.draw_numbers(has.pk, "02", 200) if number[2] == "G"][:lucky_count]
    pairs = _seed_people(has, 2 * n)
    fleet = [Contender(ctx, p, v, bot=True, address=FLEET_ADDRESS) for p, v in pairs[:n]]
    people = [Contender(ctx, p, v, bot=False, address=common.address(p.pk, net=172)) for p, v in pairs[n:]]
    rounds = max(1, (lucky_count + 4) // 5)
    elapsed = asyncio.run(_drive(ctx, fleet + people, lucky, rounds, interval))
    won = _lucky_won(lucky, [c.person.pk for c in fleet + people])
    bot_won = sum(won[c.person.pk] for c in fleet)
    human_won = sum(won[c.person.pk] for c in people)
    bot_share = round(bot_won / n, 3)
    human_share = round(human_won / n, 3)
    return {
        "bot_share": bot_share,
        "human_share": human_share,
        "bot_accounts": n,
        "human_accounts": n,
        "lucky": lucky_count,
        "bot_won": bot_won,
        "human_won": human_won,
        "fleet_started": sum(c.started for c in fleet),
        "people_started": sum(c.started for c in people),
        "fair": int(bot_share <= human_share),
        # 0 in the control run (bin/bench.py --no-guards): no rush limits, no proof of work.
        "guards": int(not settings.BENCH_NO_GUARDS),
        "rush_s": round(elapsed, 1),
    }
