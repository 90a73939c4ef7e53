"""``intranet certificates expire`` and ``intranet certificates cleanup open``."""
from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

# The database and the models are imported by the commands: ``intranet --help`` needs neither.


def expire_job() -> str:
    from intranet.extensions import db

    from .lifecycle import expire_due
    n = expire_due()
    db.session.commit()
    return f"已将{n}个超过有效期的证件标记为过期"


@click.group("certificates", help="行政执法证")
def certificates_cli():
    pass


@certificates_cli.command("expire", help="将超过有效期的证件标记为过期（每日任务）")
@with_appcontext
def expire_command():
    click.echo(expire_job())


@certificates_cli.group("cleanup", help="行政执法证清理")
def cleanup_cli():
    pass


@cleanup_cli.command("open", help="开始一次清理活动，并按组列出系统提出的候选证件")
@click.option("--name", required=True, help="清理活动名称")
@click.option("--department", default=None, help="单位编码（默认最上级单位）")
@with_appcontext
def cleanup_open(name, department):
    from sqlalchemy import select

    from intranet.extensions import db
    from intranet.models import Department

    from .cleanup import GROUPS, CleanupError, open_campaign
    from .models import Certificate, CleanupCandidate
    if department:
        dept = db.session.scalar(select(Department).where(Department.code == department))
        if dept is None:
            click.echo(f"错误：单位编码 {department} 不存在", err=True)
            sys.exit(1)
    else:
        dept = db.session.scalar(select(Department).where(Department.parent_id.is_(None)).order_by(Department.id))
        if dept is None:
            click.echo("错误：尚无任何单位", err=True)
            sys.exit(1)
    try:
        campaign = open_campaign(name, dept)
    except CleanupError as exc:
        db.session.rollback()
        click.echo(f"错误：{exc}", err=True)
        sys.exit(1)
    db.session.commit()
    rows = db.session.execute(
        select(CleanupCandidate.group, Certificate.number, Department.name, CleanupCandidate.groups)
        .join(Certificate, Certificate.id == CleanupCandidate.certificate_id)
        .join(Department, Department.id == CleanupCandidate.department_id)
        .where(CleanupCandidate.campaign_id == campaign.id)
        .order_by(CleanupCandidate.group, Department.path, Certificate.number)).all()
    click.echo(f"清理活动“{campaign.name}”（{dept.name}）已开始，候选证件共{len(rows)}个")
    for key, label in GROUPS.items():
        group_rows = [r for r in rows if r.group == key]
        click.echo(f"\n【{label}】{len(group_rows)}个")
        for r in group_rows:
            also = [GROUPS[g] for g in r.groups.split(",") if g and g != key]
            click.echo(f"  {r.number}\t{r.name}" + (f"\t（另：{'；'.join(also)}）" if also else ""))
