import pytest
from django.utils import translation

from plates import ga36


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    "number,plate_type",
    [
        ("苏HA1234", "02"),
        ("苏H12345", "02"),
        ("苏HAB123", "02"),
        ("苏HD12345", "52"),
        ("苏HDA1234", "52"),
        ("苏H12345D", "51"),
    ],
)
def test_valid_numbers_pass(number, plate_type):
    assert ga36.format_error(number, plate_type) is None


@pytest.mark.parametrize(
    "number,plate_type,fragment",
    [
        ("苏HABC12", "02", "at most 2 letters"),
        ("苏HA123O", "02", "I and O"),
        ("苏HI1234", "02", "I and O"),
        ("苏HA123", "02", "5 letters or digits"),
        ("苏HX12345", "52", "energy letter"),
        ("苏H1234DD", "51", "energy letter"),
        ("XXA12345", "02", "5 letters or digits"),
    ],
)
def test_invalid_numbers_say_why(number, plate_type, fragment):
    assert fragment in ga36.format_error(number, plate_type)


def test_block_size_counts_a_huaian_style_range_without_i_and_o():
    # A-C, three digits, a letter without I and O: 3 x 1000 x 24.
    assert ga36.range_size("02", ga36.position_sets("02", "A000A", "C999Z")) == 72000


def test_block_size_drops_serials_with_more_than_two_letters():
    sets = ga36.position_sets("02", "AA00A", "BB00B")
    # Every serial here has 3 letters.
    assert ga36.range_size("02", sets) == 0
    assert ga36.range_size("02", ga36.position_sets("02", "A0000", "A9999")) == 10000


def test_nev_ranges_keep_only_the_energy_letter_positions():
    assert ga36.position_sets("52", "D00000", "F99999")[0] == "DEF"
    assert ga36.range_size("51", ga36.position_sets("51", "00000D", "99999D")) == 100000


def test_a_backwards_range_is_refused():
    with pytest.raises(ValueError):
        ga36.position_sets("02", "C000A", "A999Z")
