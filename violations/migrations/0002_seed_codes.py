"""Seed the violation-code catalogue (docs/rules.md §5.1).

Codes and descriptions follow the national violation-code table (GA 408.1, as printed on 12123
records); points follow R-PTS arts 9-13 (MPS Order 163, 2022); fine ranges follow the law's
articles (LAW art 90: warning or 20-200 yuan; arts 91, 95, 96, 99 for the graver ones). The
`source` column names the articles each row was taken from. Province administrators correct
and extend the table in the admin.
"""

from django.db import migrations

LAW = "道路交通安全法"
REG = "道路交通安全法实施条例"
A90 = f"《{LAW}》第90条"
# (code, description, rule broken, penalty basis, fine_min, fine_max, points, suspension, detention, R-PTS article)
CODES = [
    ("1625", "驾驶机动车违反道路交通信号灯通行的", f"《{LAW}》第26条、第38条；《{REG}》第38条", A90, 20, 200, 6, False, False, 11),
    ("1301", "驾驶机动车在高速公路、城市快速路以外的道路上逆向行驶的", f"《{LAW}》第35条", A90, 20, 200, 3, False, False, 12),
    ("1357", "驾驶机动车行经人行横道，不按规定减速、停车、避让行人的", f"《{LAW}》第47条第1款", A90, 20, 200, 3, False, False, 12),
    ("1223", "驾驶机动车有拨打、接听手持电话等妨碍安全驾驶行为的", f"《{REG}》第62条第3项", A90, 20, 200, 3, False, False, 12),
    ("1344", "驾驶机动车违反禁止标线指示的", f"《{LAW}》第38条", A90, 20, 200, 1, False, False, 13),
    ("1345", "驾驶机动车违反禁令标志指示的", f"《{LAW}》第38条", A90, 20, 200, 1, False, False, 13),
    ("1039", "机动车违反规定停放、临时停车，妨碍其他车辆、行人通行的", f"《{LAW}》第56条", f"《{LAW}》第93条", 20, 200, 0, False, False, None),
    ("1042", "机动车在禁止停车的路段停车的", f"《{LAW}》第56条；《{REG}》第63条", f"《{LAW}》第93条", 20, 200, 0, False, False, None),
    ("6011", "驾驶机动车在道路上行驶时，机动车驾驶人未按规定系安全带的", f"《{LAW}》第51条", A90, 20, 200, 1, False, False, 13),
    ("6012", "驾驶摩托车，不戴安全头盔的", f"《{LAW}》第51条", A90, 20, 200, 1, False, False, 13),
    ("1208", "驾驶机动车不按所需行进方向驶入导向车道的", f"《{REG}》第51条第1项", A90, 20, 200, 0, False, False, None),
    ("1240", "驾驶机动车在高速公路、城市快速路上不按规定车道行驶的", f"《{REG}》第78条、第79条", A90, 20, 200, 3, False, False, 12),
    ("1350", "驾驶机动车不按规定超车、让行的", f"《{LAW}》第43条；《{REG}》第47条", A90, 20, 200, 3, False, False, 12),
    ("1302", "驾驶机动车遇前方机动车停车排队或者缓慢行驶时，借道超车或者占用对面车道、穿插等候车辆的", f"《{LAW}》第45条", A90, 20, 200, 3, False, False, 12),
    ("1373", "驾驶机动车不按规定避让校车的", "《校车安全管理条例》第34条", A90, 20, 200, 3, False, False, 12),
    ("1348", "驾驶机动车不按规定会车的", f"《{REG}》第48条", A90, 20, 200, 1, False, False, 13),
    ("1349", "驾驶机动车在高速公路、城市快速路以外的道路上不按规定倒车、掉头的", f"《{REG}》第49条、第50条", A90, 20, 200, 1, False, False, 13),
    ("1103", "驾驶机动车不按规定使用灯光的", f"《{REG}》第48条、第58条、第59条", A90, 20, 200, 1, False, False, 13),
    ("1352", "驾驶中型以上载客载货汽车、校车、危险物品运输车辆以外的机动车在高速公路、城市快速路以外的道路上超过规定时速10%以上未达20%的", f"《{LAW}》第42条", A90, 20, 200, 0, False, False, None),
    ("1636", "驾驶中型以上载客载货汽车、校车、危险物品运输车辆以外的机动车在高速公路、城市快速路以外的道路上超过规定时速20%以上未达50%的", f"《{LAW}》第42条", A90, 20, 200, 3, False, False, 12),
    ("4306", "驾驶中型以上载客载货汽车、校车、危险物品运输车辆以外的机动车在高速公路、城市快速路上超过规定时速20%以上未达50%的", f"《{LAW}》第42条；《{REG}》第78条", A90, 20, 200, 6, False, False, 11),
    ("1721", "驾驶中型以上载客载货汽车、校车、危险物品运输车辆以外的机动车在高速公路、城市快速路以外的道路上超过规定时速50%以上未达100%的", f"《{LAW}》第42条", f"《{LAW}》第99条第1款第4项、第2款", 200, 2000, 6, True, False, 11),
    ("1725", "驾驶中型以上载客载货汽车、校车、危险物品运输车辆以外的机动车超过规定时速100%以上的", f"《{LAW}》第42条", f"《{LAW}》第99条第1款第4项、第2款", 200, 2000, 12, True, False, 9),
    ("4008", "驾驶机动车在高速公路或者城市快速路上违法占用应急车道行驶的", f"《{REG}》第82条第4项", A90, 20, 200, 6, False, False, 11),
    ("4009", "驾驶机动车在高速公路或者城市快速路上违法停车的", f"《{REG}》第82条第4项", A90, 20, 200, 9, False, False, 10),
    ("4301", "驾驶机动车在高速公路、城市快速路上倒车、逆行、穿越中央分隔带掉头的", f"《{REG}》第82条第1项、第2项", A90, 20, 200, 12, False, False, 9),
    ("4310", "驾驶机动车在高速公路上行驶低于规定最低时速的", f"《{REG}》第78条", A90, 20, 200, 3, False, False, 12),
    ("1711", "饮酒后驾驶机动车的", f"《{LAW}》第22条第2款", f"《{LAW}》第91条第1款", 1000, 2000, 12, True, False, 9),
    ("1712", "醉酒后驾驶机动车的", f"《{LAW}》第22条第2款", f"《{LAW}》第91条第2款", 0, 0, 12, True, True, 9),
    ("1710", "使用伪造、变造的机动车号牌、行驶证、驾驶证或者使用其他机动车号牌、行驶证的", f"《{LAW}》第16条", f"《{LAW}》第96条", 2000, 5000, 12, False, True, 9),
    ("1718", "驾驶与准驾车型不符的机动车的", f"《{LAW}》第19条第4款", f"《{LAW}》第99条第1款第1项", 200, 2000, 9, False, True, 10),
    ("1633", "驾驶未悬挂机动车号牌或者故意遮挡、污损机动车号牌的机动车上道路行驶的", f"《{LAW}》第11条", f"《{LAW}》第95条", 200, 2000, 9, True, False, 10),
    ("1365", "驾驶不按规定安装机动车号牌的机动车上道路行驶的", f"《{LAW}》第11条", f"《{LAW}》第95条", 20, 200, 3, False, False, 12),
    ("5017", "驾驶未按规定定期进行安全技术检验的公路客运汽车、旅游客运汽车、危险物品运输车辆以外的机动车上道路行驶的", f"《{LAW}》第13条", A90, 20, 200, 1, False, False, 13),
    ("1006", "上道路行驶的机动车未放置检验合格标志、保险标志的", f"《{LAW}》第11条", f"《{LAW}》第95条", 20, 200, 0, False, False, None),
    ("6046", "驾驶机动车在禁止鸣喇叭的区域或者路段鸣喇叭的", f"《{REG}》第62条第8项", A90, 20, 200, 0, False, False, None),
]


def seed(apps, schema_editor):
    ViolationCode = apps.get_model("violations", "ViolationCode")
    for code, text, rule, penalty, low, high, points, suspension, detention, article in CODES:
        source = "GA 408.1 违法代码；" + (f"记分：R-PTS 第{article}条" if article else "不记分（R-PTS 第9-13条未列）")
        source += f"；罚款：{penalty}"
        ViolationCode.objects.update_or_create(
            code=code,
            defaults={
                "description": text,
                "legal_basis": rule,
                "penalty_basis": penalty,
                "fine_min": low,
                "fine_max": high,
                "points": points,
                "suspension": suspension,
                "detention": detention,
                # docs/rules.md §5.3: online only for fines up to 200 yuan without suspension or detention.
                "online_allowed": high <= 200 and not suspension and not detention,
                "source": source,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("violations", "ViolationCode").objects.filter(code__in=[c[0] for c in CODES]).delete()


class Migration(migrations.Migration):
    dependencies = [("violations", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
