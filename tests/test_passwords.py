"""The password policy (intranet.passwords)."""
import pytest

from intranet.demo_core import LOGINS
from intranet.passwords import password_problem
from intranet.testing import PASSWORD


@pytest.mark.parametrize("password,username,role", [
    ("12345678", "wangwu", "staff"), ("password123", "wangwu", "staff"), ("abcdefgh", "wangwu", "staff"),
    ("aaaaaaaa", "wangwu", "staff"), ("qwertyuiop", "wangwu", "staff"), ("wangwuwangwu", "wangwu", "staff"),
    ("my-wangwu-pass", "wangwu", "staff"), ("short", "wangwu", "staff"), ("Qz7-kpR4", "wangwu", "admin"),
    ("Qz7-kpR4", "wangwu", "bureau"),
])
def test_refused(password, username, role):
    assert password_problem(password, username=username, role=role)


@pytest.mark.parametrize("password,role", [("Qz7-kpR4", "staff"), ("Qz7-kpR4", "inspector"),
                                           ("Qz7-kpR4-x9", "admin")])
def test_accepted(password, role):
    assert password_problem(password, username="wangwu", role=role) is None


def test_the_test_and_demo_passwords_pass_the_policy():
    assert password_problem(PASSWORD, username="user1", role="admin") is None
    for username, (password, role, _display) in LOGINS.items():
        assert password_problem(password, username=username, role=role) is None, username
