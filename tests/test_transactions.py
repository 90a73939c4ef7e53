"""A request that wrote nothing ends its transaction with COMMIT (psycopg keeps the prepared
statements then); one that wrote, or holds unflushed changes, or failed, is rolled back."""
import pytest
from sqlalchemy import event, func, select, text

from intranet.testing import BASE_CONFIG, empty_all_tables, make_department


@pytest.fixture
def plain_app(database):
    """The app as a server runs it: each request in its own app context (the ``app`` fixture
    holds one context open around the test, so its requests share one session)."""
    from intranet import create_app
    from intranet.extensions import db
    from intranet.models import Person

    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database.url})
    with app.app_context():
        department_id = make_department().id
        db.session.commit()

    def person():
        return Person(name="未保存", id_number="x", department_id=department_id, staffing="行政编制",
                      status="在岗", title="科员")

    @app.get("/_t/read")
    def read():
        return str(db.session.scalar(select(func.count()).select_from(Person)))

    @app.get("/_t/flushed")
    def flushed():
        db.session.add(person())
        db.session.flush()
        return "ok"

    @app.get("/_t/unflushed")
    def unflushed():
        db.session.add(person())
        return "ok"

    @app.get("/_t/text")
    def text_write():
        db.session.execute(text("UPDATE department SET name = 'changed'"))
        return "ok"

    @app.get("/_t/fails")
    def fails():
        db.session.scalar(select(func.count()).select_from(Person))
        raise RuntimeError("boom")

    @app.get("/_t/lost")
    def lost():   # the connection was lost during the request and the page answered anyway (the 503 page)
        db.session.scalar(select(func.count()).select_from(Person))
        db.session.connection().invalidate()
        return "ok"

    ends = []
    with app.app_context():
        event.listen(db.engine, "commit", lambda conn: ends.append("commit"))
        event.listen(db.engine, "rollback", lambda conn: ends.append("rollback"))
    app.transaction_ends = ends
    yield app
    with app.app_context():
        empty_all_tables(db)
        db.session.remove()
        db.engine.dispose()


def _people_and_names(app):
    from intranet.extensions import db
    with app.app_context():
        with db.engine.connect() as conn:
            return (conn.scalar(text("SELECT count(*) FROM person")),
                    set(conn.scalars(text("SELECT name FROM department"))))


def test_a_request_that_only_read_commits(plain_app):
    assert plain_app.test_client().get("/_t/read").text == "0"
    assert plain_app.transaction_ends == ["commit"]


@pytest.mark.parametrize("path", ["/_t/flushed", "/_t/unflushed", "/_t/text"])
def test_a_request_that_wrote_without_committing_is_rolled_back(plain_app, path):
    assert plain_app.test_client().get(path).status_code == 200
    assert "commit" not in plain_app.transaction_ends
    people, names = _people_and_names(plain_app)
    assert people == 0 and "changed" not in names


def test_a_request_whose_connection_was_lost_ends_quietly(plain_app):
    client = plain_app.test_client()
    assert client.get("/_t/lost").status_code == 200
    assert "commit" not in plain_app.transaction_ends
    assert client.get("/_t/read").text == "0"   # and the next request gets a new connection


def test_a_failed_request_is_rolled_back(plain_app):
    plain_app.config["PROPAGATE_EXCEPTIONS"] = False
    assert plain_app.test_client().get("/_t/fails").status_code == 500
    assert "commit" not in plain_app.transaction_ends


def test_postgresql_keeps_the_prepared_statements_of_reads(plain_app, database):
    if database.backend != "postgresql":
        pytest.skip("prepared statements: PostgreSQL (psycopg)")
    from intranet.extensions import db
    client = plain_app.test_client()
    for _ in range(8):   # psycopg prepares a statement run more than prepare_threshold (5) times
        client.get("/_t/read")
    with plain_app.app_context():
        assert db.engine.pool.checkedin() == 1   # the one connection every request used
        with db.engine.connect() as conn:
            prepared = conn.scalar(text("SELECT count(*) FROM pg_prepared_statements"))
    assert prepared >= 1
