"""Demo data for `manage.py demo`: Huai'an's public pages, a question, travel notices (one in
force, one coming) with a follower, and the first sweep."""

import datetime

from django.utils import timezone

from notices import services
from notices.models import Announcement, Article, TravelAdvisory
from portal.models import City, User


def load(stdout):
    city = City.objects.filter(code="has").first()
    if city is None or Article.objects.filter(city=city).exists():
        return
    Article.objects.create(
        city=city,
        title="冬季雨雪天气安全行车提示",
        published=True,
        summary="雨雪天气路面湿滑，请减速慢行、保持车距。",
        body="雨雪天气路面湿滑，制动距离变长。请降低车速，保持安全车距，避免急加速、急刹车和急转向。"
        "出行前检查轮胎、灯光和雨刮器，遇团雾及时开启雾灯。",
    )
    Article.objects.create(
        city=city,
        title="电动自行车骑行请佩戴安全头盔",
        published=True,
        summary="佩戴头盔可大幅降低交通事故中的颅脑损伤。",
        body="骑乘电动自行车请佩戴安全头盔，不闯红灯、不逆行、不占用机动车道。",
    )
    Announcement.objects.create(
        city=city,
        title_text="关于车管所元旦假期业务安排的公告",
        body_text="元旦假期期间车管所暂停办理窗口业务，互联网服务平台正常受理。",
    )
    asker = User.objects.filter(role=User.Role.CITIZEN).order_by("pk").first()
    if asker is not None:
        services.question_ask(
            user=asker, city=city, subject="外地车辆能否在淮安检验？", body="我的车是外地牌照，能在淮安办理检验吗？"
        )
    _travel(city, asker)
    created = services.sweep()
    stdout.write(f"notices: public pages for {city.name}, sweep created {sum(created.values())} notices\n")


def _travel(city, follower):
    """Road works in force on 淮海东路 and a marathon closure next week (docs/rules.md §6.3); the
    first citizen follows 清江浦区 and is told of both."""
    clerk = User.objects.filter(role=User.Role.CLERK, clerk_profile__city=city).first()
    if follower is not None:
        services.subscription_add(user=follower, city=city, district="清江浦区")
    now = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    for kind, road, section, starts, ends, detour, text in (
        (
            TravelAdvisory.Kind.ROAD_WORKS,
            "淮海东路",
            "健康路口至环城路口",
            now - datetime.timedelta(days=2),
            now + datetime.timedelta(days=12),
            "东西向车辆经健康西路、环城路绕行",
            "雨污分流管道施工，半幅封闭。",
        ),
        (
            TravelAdvisory.Kind.EVENT,
            "健康东路",
            "全线",
            now + datetime.timedelta(days=7, hours=-3),
            now + datetime.timedelta(days=7, hours=3),
            "经北京南路、淮海南路绕行",
            "淮安马拉松比赛期间禁止机动车通行。",
        ),
    ):
        advisory = TravelAdvisory(
            city=city,
            kind=kind,
            district="清江浦区",
            road=road,
            section=section,
            starts_at=starts,
            ends_at=ends,
            detour=detour,
            description=text,
        )
        services.advisory_save(advisory, by=clerk)
