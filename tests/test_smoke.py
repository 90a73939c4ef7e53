from intranet.models import Department
from intranet.testing import login


def test_login_and_dashboard(client, org):
    login(client, org.users["bureau"])
    response = client.get("/dashboard")
    assert response.status_code == 200
    assert "工作台" in response.get_data(as_text=True)


def test_subtree_filter(db, org):
    from sqlalchemy import select
    names = set(db.session.scalars(select(Department.name).where(org.county.subtree_filter())))
    assert names == {"永安县", "甲镇", "乙镇"}


def test_favicon_is_served_and_linked(client):
    icon = client.get("/favicon.ico")                       # anonymous: the login page asks for it too
    assert icon.status_code == 200 and icon.headers["Content-Type"].startswith("image/svg+xml")
    assert icon.get_data(as_text=True).lstrip().startswith("<svg")
    assert '<link rel="icon" href="/favicon.ico"' in client.get("/login").get_data(as_text=True)
