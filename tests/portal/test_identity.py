"""GB 11643 resident ID numbers and SMS-capable mainland mobile numbers (docs/rules.md §7)."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from portal import identity


@pytest.mark.parametrize("number", ["11010519491231002X", "53010219200508011X", "440524188001010014"])
def test_standard_vectors_are_valid(number):
    assert identity.validate_id_number(number) == number


def test_lower_case_x_is_accepted_and_stored_upper_case():
    assert identity.validate_id_number(" 11010519491231002x ") == "11010519491231002X"
    assert identity.id_key("11010519491231002x") == identity.id_key("11010519491231002X")


def test_id_key_is_a_keyed_hash_of_the_normalised_number(settings):
    key = identity.id_key("１１０１０５１９４９１２３１００２ｘ")  # full-width spelling: one key
    assert key == identity.id_key("11010519491231002X")
    assert len(key) == 64 and "11010519491231002X" not in key
    settings.ID_HASH_KEY = "another-key"
    assert identity.id_key("11010519491231002X") != key  # keyed: the key is needed to compute it
    assert identity.id_key("") == ""


@pytest.mark.parametrize(
    "number, code",
    [
        ("110105194912310021", "id_check"),  # check digit should be X
        ("53010219200508011 ".strip() + "9", "id_check"),
        ("440524188001010015", "id_check"),
        ("110105194902300021", "id_birth"),  # 30 February
        ("110105194913010021", "id_birth"),  # month 13
        ("110105210001010021", "id_birth"),  # born in 2100
        ("110105179912310021", "id_birth"),  # before 1800
        ("110105491231002", "id_old"),  # 15 digits
        ("11010519491231002A", "id_format"),
        ("1101051949123100", "id_format"),
        ("ABCDEFGHIJKLMNOPQR", "id_format"),
        ("", "id_format"),
    ],
)
def test_wrong_id_numbers_are_refused(number, code):
    with pytest.raises(ValidationError) as exc:
        identity.validate_id_number(number)
    assert exc.value.code == code


def test_a_birth_date_in_the_future_is_refused_until_that_day():
    number = identity.make_id_number("320812", datetime.date(2026, 12, 1), 11)
    with time_machine.travel(datetime.datetime(2026, 11, 30, 12, tzinfo=datetime.UTC), tick=False):
        with pytest.raises(ValidationError) as exc:
            identity.validate_id_number(number)
        assert exc.value.code == "id_birth"
    with time_machine.travel(datetime.datetime(2026, 12, 2, 12, tzinfo=datetime.UTC), tick=False):
        assert identity.validate_id_number(number) == number


def test_make_id_number_builds_valid_numbers_and_birth_date_reads_them_back():
    number = identity.make_id_number("320803", datetime.date(1990, 5, 17), 7)
    assert identity.validate_id_number(number) == number
    assert identity.birth_date(number) == datetime.date(1990, 5, 17)


@pytest.mark.parametrize(
    "mobile",
    [
        "13812345678",
        "13012345678",
        "14512345678",
        "14712345678",
        "14912345678",
        "15012345678",
        "15912345678",
        "16212345678",
        "16512345678",
        "16612345678",
        "16712345678",
        "17012345678",
        "17312345678",
        "17512345678",
        "17812345678",
        "17400012345",
        "17410012345",
        "17490012345",
        "18012345678",
        "18912345678",
        "19012345678",
        "19312345678",
        "19512345678",
        "19912345678",
        "+8613812345678",
        "86 138 1234 5678",
        "138-1234-5678",
    ],
)
def test_sms_capable_mobiles_are_accepted(mobile):
    assert identity.validate_mobile(mobile) == identity.normalize_mobile(mobile)
    assert len(identity.validate_mobile(mobile)) == 11


@pytest.mark.parametrize(
    "mobile",
    [
        "15412345678",  # 154 is not assigned
        "14012345678",
        "14112345678",
        "14412345678",
        "14612345678",
        "14812345678",  # IoT segments
        "1400123456789",  # 13-digit IoT number
        "17420012345",  # 1742x is not an SMS segment
        "19412345678",
        "16012345678",
        "12012345678",
        "10012345678",
        "23812345678",
        "1381234567",
        "138123456789",
        "1381234567a",
        "",
    ],
)
def test_non_sms_mobiles_are_refused(mobile):
    with pytest.raises(ValidationError):
        identity.validate_mobile(mobile)


def test_masks_hide_the_middle():
    assert identity.mask_id_number("11010519491231002X") == "1101**********002X"
    assert identity.mask_mobile("13812345678") == "138****5678"
