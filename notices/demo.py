"""Demo data for `manage.py demo`: Huai'an's public pages, a question, and the first sweep."""

from notices import services
from notices.models import Announcement, Article
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
    created = services.sweep()
    stdout.write(f"notices: public pages for {city.name}, sweep created {sum(created.values())} notices\n")
