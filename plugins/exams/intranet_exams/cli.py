"""``intranet exams …`` commands."""
from __future__ import annotations

import click
from flask.cli import with_appcontext


def close_expired_job() -> str:
    """Grade every online paper whose time is up (also done lazily on the next request)."""
    from intranet.extensions import db

    from .online import close_expired
    count = close_expired()
    db.session.commit()
    return f"已自动交卷 {count} 份超时试卷"


@click.group("exams", help="考试")
def exams_group():
    pass


@exams_group.command("close-expired", help="对已超时的在线试卷自动交卷并评分（由 cron 定时调用）")
@with_appcontext
def close_expired_command():
    click.echo(close_expired_job())
