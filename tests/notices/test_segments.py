from notices import segments


def test_gsm7_text_fits_160_then_153_per_part():
    assert segments.encoding("Inspection due") == "GSM-7"
    assert segments.segments("a" * 160) == 1
    assert segments.segments("a" * 161) == 2
    assert segments.segments("a" * 306) == 2
    assert segments.segments("a" * 307) == 3


def test_extension_characters_count_twice():
    assert segments.length_units("[]") == 4
    assert segments.segments("a" * 159 + "€") == 2


def test_chinese_text_fits_70_then_67_per_part():
    assert segments.encoding("检验到期") == "UCS-2"
    assert segments.segments("检" * 70) == 1
    assert segments.segments("检" * 71) == 2
    assert segments.segments("检" * 134) == 2
    assert segments.segments("检" * 135) == 3


def test_one_chinese_character_makes_the_whole_text_ucs2():
    assert segments.segments("a" * 69 + "检") == 1
    assert segments.segments("a" * 70 + "检") == 2


def test_emoji_take_two_units_and_empty_text_no_part():
    assert segments.length_units("🚗") == 2
    assert segments.segments("") == 0
