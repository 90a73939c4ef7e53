import pytest

from intranet.testing import browser_login

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def test_login_in_browser(page, org):
    browser_login(page, "sfj")
    assert "工作台" in page.content()
    page.click("text=退出")
    page.wait_for_url("**/login")
