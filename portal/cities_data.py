"""The 13 prefecture-level cities of Jiangsu (docs/rules.md §7): site code, names, division code,
plate prefixes. Used by the initial data migration and by tests that flush the database."""

JIANGSU_CITIES = [
    ("nkg", "南京市", "Nanjing", "320100", "苏A"),
    ("wux", "无锡市", "Wuxi", "320200", "苏B"),
    ("xuz", "徐州市", "Xuzhou", "320300", "苏C"),
    ("czx", "常州市", "Changzhou", "320400", "苏D"),
    ("szv", "苏州市", "Suzhou", "320500", "苏E 苏U"),
    ("ntg", "南通市", "Nantong", "320600", "苏F"),
    ("lyg", "连云港市", "Lianyungang", "320700", "苏G"),
    ("has", "淮安市", "Huai'an", "320800", "苏H"),
    ("ynz", "盐城市", "Yancheng", "320900", "苏J"),
    ("yzo", "扬州市", "Yangzhou", "321000", "苏K"),
    ("zhe", "镇江市", "Zhenjiang", "321100", "苏L"),
    ("tzs", "泰州市", "Taizhou", "321200", "苏M"),
    ("suq", "宿迁市", "Suqian", "321300", "苏N"),
]

# State Council holiday arrangements. 2026: 国办发明电〔2025〕7号. 2027 is not yet published at the
# time of writing: only the statutory days are seeded and the province administrator adds the
# official arrangement (with its make-up working days) in the admin when it appears.
HOLIDAYS = {
    2026: {
        "holiday": [
            ("2026-01-01", "2026-01-03", "元旦"),
            ("2026-02-15", "2026-02-23", "春节"),
            ("2026-04-04", "2026-04-06", "清明节"),
            ("2026-05-01", "2026-05-05", "劳动节"),
            ("2026-06-19", "2026-06-21", "端午节"),
            ("2026-09-25", "2026-09-27", "中秋节"),
            ("2026-10-01", "2026-10-07", "国庆节"),
        ],
        "workday": [
            ("2026-01-04", "元旦调休"),
            ("2026-02-14", "春节调休"),
            ("2026-02-28", "春节调休"),
            ("2026-05-09", "劳动节调休"),
            ("2026-09-20", "国庆节调休"),
            ("2026-10-10", "国庆节调休"),
        ],
    },
    2027: {
        "holiday": [
            ("2027-01-01", "2027-01-01", "元旦"),
            ("2027-02-06", "2027-02-09", "春节"),
            ("2027-04-05", "2027-04-05", "清明节"),
            ("2027-05-01", "2027-05-02", "劳动节"),
            ("2027-06-09", "2027-06-09", "端午节"),
            ("2027-09-15", "2027-09-15", "中秋节"),
            ("2027-10-01", "2027-10-03", "国庆节"),
        ],
        "workday": [],
    },
}


def ensure_cities(City):
    for order, (code, name, name_en, division, prefixes) in enumerate(JIANGSU_CITIES):
        City.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "division_code": division,
                "plate_prefixes": prefixes,
                "ordering": order,
            },
        )


def ensure_holidays(Holiday):
    import datetime

    for _year, spec in HOLIDAYS.items():
        for start, end, name in spec["holiday"]:
            day, last = datetime.date.fromisoformat(start), datetime.date.fromisoformat(end)
            while day <= last:
                Holiday.objects.update_or_create(date=day, defaults={"kind": "holiday", "name": name})
                day += datetime.timedelta(days=1)
        for date, name in spec["workday"]:
            Holiday.objects.update_or_create(
                date=datetime.date.fromisoformat(date), defaults={"kind": "workday", "name": name}
            )
