"""intranet.idnumber: GB 11643 validation and masking."""
from datetime import date

from stdnum.cn import ric

from intranet.idnumber import birth_date, check_id_number, make_id_number, mask_id_number


def with_check_digit(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


def test_valid_number():
    number = make_id_number("110101", date(1990, 3, 7), 123)
    check = check_id_number(number)
    assert (check.number, check.error, check.warning) == (number, "", "")
    assert birth_date(number) == date(1990, 3, 7)


def test_lower_case_x_is_normalised_and_spaces_trimmed():
    number = next(n for n in (make_id_number("110101", date(1990, 3, 7), s) for s in range(200)) if n.endswith("X"))
    check = check_id_number("  " + number.lower() + " ")
    assert check.number == number and not check.error


def test_bad_checksum():
    number = make_id_number("110101", date(1990, 3, 7), 123)
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    assert check_id_number(wrong).error == "身份证号校验位错误"


def test_bad_birth_date():
    check = check_id_number(with_check_digit("11010119900230012"))
    assert check.error == "身份证号中的出生日期无效"


def test_unknown_area_code_is_a_warning_not_an_error():
    check = check_id_number(with_check_digit("99999919900307012"))
    assert check.error == ""
    assert "地区码" in check.warning


def test_wrong_length_and_characters():
    assert check_id_number("11010119900307").error == "身份证号应为18位"
    assert "格式错误" in check_id_number("1101011990030712AX").error
    assert check_id_number("").error == "身份证号不能为空"
    assert check_id_number(None).error == "身份证号不能为空"


def test_numeric_input_is_refused():
    check = check_id_number(110101199003071233)
    assert "文本格式" in check.error
    assert "文本格式" in check_id_number(1.10101199003071e17).error


def test_masking():
    assert mask_id_number("110101199003071233") == "110101********1233"
    assert mask_id_number("") == ""
    assert mask_id_number(None) == ""
    assert mask_id_number("12345") == "*****"
