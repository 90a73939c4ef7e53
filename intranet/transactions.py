"""A transaction that wrote nothing ends with COMMIT, not ROLLBACK.

The two are the same to the data: nothing was written. But psycopg forgets a connection's
prepared statements at every ROLLBACK (the objects they name might have been dropped and made
again), so the statements every page runs, which psycopg prepares after a few executions
(``prepare_threshold``), would be parsed and planned again on every request. A transaction
that wrote, or holds changes not yet flushed, or ended in an error, is rolled back as before
(Flask-SQLAlchemy's ``session.remove()``).
"""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from . import counts

CONNECTION = "intranet_transaction_connection"


def init_app(app, db) -> None:
    # teardown functions run last-registered first: this one before Flask-SQLAlchemy's remove()
    @app.teardown_appcontext
    def _commit_reads(exc):
        if exc is not None or not db.session.registry.has():
            return
        session = db.session()
        connection = session.info.get(CONNECTION)
        if (connection is None or connection.invalidated or session.new or session.dirty or session.deleted
                or counts.wrote(connection)):
            return
        session.expire_on_commit = False   # the session ends here: nothing will read its objects again
        try:
            session.commit()
        except SQLAlchemyError:   # remove() rolls back what is left
            pass


@event.listens_for(Session, "after_begin")
def _bound(session, transaction, connection) -> None:
    session.info[CONNECTION] = connection


@event.listens_for(Session, "after_transaction_end")
def _ended(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(CONNECTION, None)
