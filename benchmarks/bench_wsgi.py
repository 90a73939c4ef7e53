"""The app as gunicorn serves it in the load benchmark, plus a floor page (benchmarks only).

``/_bench/floor`` goes through the same app (session, login, CSRF, teardown) and runs one trivial
query, so the load benchmark can compare each real page with the cheapest page this app can serve.
The database is BENCH_DATABASE_URL; plain http, so the cookies are not marked Secure.
"""
import os

from flask_login import current_user, login_required
from sqlalchemy import text

from intranet import create_app
from intranet.extensions import db

app = create_app({
    "SQLALCHEMY_DATABASE_URI": os.environ["BENCH_DATABASE_URL"],
    "SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False,
    "RATELIMIT_ENABLED": False,   # 32 clients log in from one address at once
})


@login_required
def floor():
    one = db.session.execute(text("SELECT 1")).scalar()
    return f"<!doctype html><title>floor</title><p>{current_user.username} {one}</p>"


app.add_url_rule("/_bench/floor", "bench_floor", floor)
