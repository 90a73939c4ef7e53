"""The ``intranet`` command: database, users, plugins, demo data, imports, exports, reports."""
from __future__ import annotations

import getpass
import sys
from contextlib import contextmanager
from pathlib import Path

import click
from flask.cli import FlaskGroup, with_appcontext


def _create_app(*_args, **_kwargs):
    from . import create_app
    return create_app()


def fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


def _bare_plugin_manager():
    """The enabled plugins' manager without building the app: the configuration (defaults,
    instance/config.py, environment) read into a bare Flask object, the plugins imported."""
    from flask import Flask

    from .config import instance_path, load_config
    from .plugins import bare_plugin_manager
    app = Flask(__name__, instance_path=str(instance_path()))
    load_config(app, None)
    return bare_plugin_manager(app.config)


class IntranetGroup(FlaskGroup):
    """The core's commands, Flask's, and every enabled plugin's.

    ``intranet --help`` and ``intranet GROUP --help`` do not build the app: the plugins' commands
    come from a bare plugin manager and the app is built by the command that runs
    (``with_appcontext``), whose start checks the plugins in full. A test's app
    (``app.test_cli_runner()``) gives its own plugins' commands.
    """

    def __init__(self, **kwargs):
        super().__init__(create_app=_create_app, add_default_commands=True, **kwargs)
        self._commands_added = None                 # the plugin commands (of one app) added last
        self._plugin_commands: set[str] = set()
        self._listing = False

    def _plugin_commands_found(self, ctx) -> dict:
        from flask.cli import ScriptInfo

        from .plugin_checks import collect_cli_commands
        info = ctx.ensure_object(ScriptInfo)
        if info.create_app is _create_app and info._loaded_app is None:
            return collect_cli_commands(_bare_plugin_manager(), CORE_COMMANDS)
        return info.load_app().extensions["intranet_cli_commands"]   # collected and checked at start

    def _add_plugin_commands(self, ctx):
        from .plugins import PluginError
        try:
            commands = self._plugin_commands_found(ctx)
        except PluginError as exc:  # a bad plugin list says why, without a traceback
            fail(f"错误：{exc}")
        if commands is self._commands_added:
            return
        # Another app in the same process (tests): forget the previous app's plugin commands.
        for name in self._plugin_commands:
            self.commands.pop(name, None)
        for name, (_plugin, command) in commands.items():
            self.add_command(command, name)
        self._plugin_commands = set(commands)
        self._commands_added = commands

    def _load_plugin_commands(self) -> None:
        """Flask's ``flask.commands`` entry points (Flask-Limiter's ``limiter``) are imported only
        when one of them runs: importing Flask-Limiter alone takes a tenth of a second."""

    @staticmethod
    def _flask_entry_points() -> dict:
        from importlib.metadata import entry_points
        return {ep.name: ep for ep in entry_points(group="flask.commands")}

    def list_commands(self, ctx):
        self._add_plugin_commands(ctx)
        return sorted(set(click.Group.list_commands(self, ctx)) | set(self._flask_entry_points()))

    def get_command(self, ctx, name):
        command = click.Group.get_command(self, ctx, name)
        if command is not None and name not in self._plugin_commands:
            return command
        self._add_plugin_commands(ctx)
        command = click.Group.get_command(self, ctx, name)
        if command is not None:
            return command
        ep = self._flask_entry_points().get(name)
        if ep is None:
            return None
        if self._listing:   # the help page's one line: name the package instead of importing it
            return click.Command(name, help=f"由 {ep.dist.name if ep.dist else ep.value} 提供的命令")
        command = ep.load()
        self.add_command(command, name)
        return command

    def format_commands(self, ctx, formatter):
        self._listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self._listing = False

    def invoke(self, ctx):
        from .plugins import PluginError
        try:
            return super().invoke(ctx)
        except PluginError as exc:  # the app a command builds refused its plugins
            fail(f"错误：{exc}")


@click.group(cls=IntranetGroup, help="法治政府建设 intranet")
def cli():
    pass


# --- db ----------------------------------------------------------------------------------

@cli.group("db", help="数据库迁移 (database migrations)")
def db_group():
    pass


@db_group.command("upgrade", help="升级核心与所有已启用插件的数据表 (upgrade core and enabled plugins to heads)")
@with_appcontext
def db_upgrade():
    from .schema import SchemaError, upgrade
    try:
        branches = upgrade()
    except SchemaError as exc:
        fail(f"错误：{exc}")
    click.echo("数据库已升级：" + "、".join(branches))


@db_group.command("current", help="显示数据库当前的迁移版本")
@with_appcontext
def db_current():
    from .schema import current_revisions
    for rev in current_revisions():
        click.echo(rev)


@db_group.command("revision", help="为 core 或某个插件的迁移分支自动生成下一个迁移 (autogenerate)")
@click.argument("branch")
@click.option("-m", "--message", required=True, help="迁移说明")
@with_appcontext
def db_revision(branch, message):
    from .revisions import new_revision
    from .schema import SchemaError
    try:
        path = new_revision(branch, message)
    except SchemaError as exc:
        fail(f"错误：{exc}")
    click.echo(f"已生成迁移 {path}，请检查其内容后再运行 intranet db upgrade")


@db_group.command("downgrade", help="只降级某个插件的迁移分支 (REVISION: 该插件的版本号、-1 或 base)")
@click.argument("branch")
@click.argument("revision")
@with_appcontext
def db_downgrade(branch, revision):
    from .revisions import downgrade
    from .schema import SchemaError
    try:
        spec = downgrade(branch, revision)
    except SchemaError as exc:
        fail(f"错误：{exc}")
    click.echo(f"插件 {branch} 已降级到 {spec}")


# --- users -------------------------------------------------------------------------------

@cli.group("users", help="用户管理")
def users_group():
    pass


@users_group.command("create-admin", help="创建系统管理员账户")
@click.option("--username", default="admin", show_default=True)
@click.option("--password", default=None, help="省略时交互输入")
@with_appcontext
def create_admin(username, password):
    from sqlalchemy import select

    from . import audit
    from .extensions import db
    from .models import User
    if db.session.scalar(select(User).where(User.username == username)):
        fail(f"错误：用户名 {username} 已存在")
    if password is None:
        password = getpass.getpass("密码: ")
    from .passwords import password_problem
    if problem := password_problem(password, username=username, role="admin", display_name="系统管理员"):
        fail(f"错误：{problem}")
    user = User(username=username, display_name="系统管理员", role="admin")
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("create", "user", user.id, summary=f"命令行创建管理员 {username}")
    db.session.commit()
    click.echo(f"已创建系统管理员 {username}")


# --- plugins -----------------------------------------------------------------------------

@cli.group("plugins", help="插件")
def plugins_group():
    pass


@plugins_group.command("list", help="列出已安装与已启用的插件")
@with_appcontext
def plugins_list():
    from flask import current_app
    infos = current_app.extensions["intranet_plugins"]
    if not infos:
        click.echo("没有安装任何插件")
    for info in infos:
        state = "已启用" if info.enabled else "已安装未启用"
        click.echo(f"{info.name}\t{info.version}\t{state}\t{info.module}")


@plugins_group.command("new", help="生成一个可运行的最小插件（模型、页面、报告片段、导入、迁移、测试）")
@click.argument("name")
@click.option("--path", "path", default=None, type=click.Path(file_okay=False),
              help="写入的目录（默认：plugins/NAME）")
@click.option("--title", default=None, help="插件的中文名（默认：NAME）")
@with_appcontext
def plugins_new(name, path, title):
    from flask import current_app

    from .config import REPO_ROOT
    from .plugins import PluginError, check_plugin_name, installed_plugins
    from .scaffold import ScaffoldError, check_name, write_plugin
    from .schema import _script_directory
    title = (title or name).strip()
    try:
        taken = set(installed_plugins()) | {i.name for i in current_app.extensions["intranet_plugins"]}
        check_name(name, taken)
        check_plugin_name(name)
        if any(c in title for c in "\"'$\n{}"):
            raise ScaffoldError("插件中文名不能含引号、反斜杠、$、花括号或换行")
        destination = Path(path) if path else REPO_ROOT / "plugins" / name
        core_head = _script_directory().revision_map.get_revision("core@head").revision
        written = write_plugin(name, title, destination, core_head)
    except (ScaffoldError, PluginError) as exc:
        fail(f"错误：{exc}")
    click.echo(f"已在 {destination} 生成插件 {name}（{len(written)} 个文件）。下一步：")
    click.echo(f"  .venv/bin/pip install -e {destination}")
    click.echo("  .venv/bin/intranet db upgrade")
    click.echo(f"  .venv/bin/python -m pytest {destination / 'tests'}")


@plugins_group.command("purge", help="删除已停用插件的数据表和迁移版本 (irreversible)")
@click.argument("name")
@click.option("--yes", is_flag=True, help="不再询问确认")
@with_appcontext
def plugins_purge(name, yes):
    from . import audit
    from .extensions import db
    from .schema import SchemaError, purge_plugin
    if not yes:
        click.confirm(f"将永久删除插件 {name} 的全部数据表，确定吗？", abort=True)
    try:
        dropped = purge_plugin(name)
    except SchemaError as exc:
        fail(f"错误：{exc}")
    audit.record("purge", "plugin", name, summary=f"清除插件 {name} 的数据表：{'、'.join(dropped) or '无'}")
    db.session.commit()
    click.echo(f"已删除 {len(dropped)} 张数据表：{'、'.join(dropped) or '无'}")


# --- demo --------------------------------------------------------------------------------

@cli.group("demo", help="演示数据")
def demo_group():
    pass


@demo_group.command("load", help="载入演示数据 (small ≈ 1 county, city ≈ 300 units / 20,000 people, province ≈ 2,500 units / 200,000 people)")
@click.option("--scale", type=click.Choice(["small", "city", "province"]), default="small", show_default=True)
@click.option("--seed", type=int, default=2024, show_default=True)
@click.option("--skip-if-loaded", is_flag=True, help="数据库已有数据时跳过（不报错）")
@with_appcontext
def demo_load(scale, seed, skip_if_loaded):
    from .demo import DemoError, already_loaded, load_demo
    if skip_if_loaded and already_loaded():
        click.echo("数据库中已有数据，跳过演示数据载入。登录：admin / demo-xitong-2024")
        return
    try:
        summary = load_demo(scale, seed=seed, echo=click.echo)
    except DemoError as exc:
        fail(f"错误：{exc}")
    click.echo(summary)


# --- import / export ---------------------------------------------------------------------

@contextmanager
def _progress_bar(label: str):
    """A progress bar on stderr; yields ``progress(done, total)``, the callback imports, exports
    and the job wait report through (the total may change as the work goes on)."""
    with click.progressbar(length=1, label=label, file=sys.stderr) as bar:
        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            done = min(done, bar.length)
            if done >= bar.pos:
                bar.update(done - bar.pos)
            else:
                bar.pos = done
                bar.render_progress()
        yield progress


@cli.command("import", help="从 Excel 导入 (KIND: departments, people, 以及各插件提供的类型)")
@click.argument("kind")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="只校验，不写入")
@click.option("--queue", "queue", is_flag=True, help="超过 IMPORT_QUEUE_ROWS 行时交给后台任务（intranet worker）处理")
@click.option("--wait", is_flag=True, help="与 --queue 同用：等待任务完成并显示进度")
@with_appcontext
def import_command(kind, file, dry_run, queue, wait):
    from .imports import all_import_kinds, run_import
    kinds = all_import_kinds()
    if kind not in kinds:
        fail(f"错误：未知的导入类型 {kind}；可用：{', '.join(sorted(kinds))}")
    path = Path(file)
    if not path.exists():
        fail(f"错误：文件不存在：{file}")
    if path.suffix.lower() != ".xlsx":
        fail("错误：只支持 .xlsx 文件")
    if queue:
        from .jobs import api as jobs
        data = path.read_bytes()
        if rows := jobs.should_queue_import(data):
            job, created = jobs.start_import(kinds[kind], data, path.name, None, dry_run=dry_run, rows=rows)
            click.echo(f"{'已加入' if created else '同一文件已在'}后台任务队列：任务 #{job.id}（{job.state}）")
            if wait:
                _wait_for_job(job.id)
            return
    with _progress_bar("处理中") as progress, path.open("rb") as fh:
        result = run_import(kinds[kind], fh, dry_run=dry_run, progress=progress)
    for w in result.warnings[:50]:
        click.echo(f"警告 第{w.row}行 {w.column}：{w.message}", err=True)
    if not result.ok:
        for e in result.errors[:200]:
            where = f"第{e.row}行 " if e.row else ""
            click.echo(f"错误 {where}{e.column + '：' if e.column else ''}{e.message}", err=True)
        if len(result.errors) > 200:
            click.echo(f"……另有 {len(result.errors) - 200} 处错误", err=True)
        fail(result.summary())
    click.echo(result.summary())


@cli.command("export", help="导出 Excel (KIND 由插件提供，如 roster)")
@click.argument("kind")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False))
@click.option("--department", default=None, help="单位编码（默认全部）")
@with_appcontext
def export_command(kind, output, department):
    from .extensions import db
    from .models import Department
    from .plugins import flatten, get_pm
    kinds = {k.name: k for k in flatten(get_pm().hook.export_kinds())}
    if kind not in kinds:
        fail(f"错误：未知的导出类型 {kind}；可用：{', '.join(sorted(kinds)) or '无'}")
    dept = None
    if department:
        from sqlalchemy import select
        dept = db.session.scalar(select(Department).where(Department.code == department))
        if dept is None:
            fail(f"错误：单位编码 {department} 不存在")
    if kinds[kind].progress:
        with _progress_bar("导出中") as progress:
            kinds[kind].write(output, dept, progress=progress)
    else:
        kinds[kind].write(output, dept)
    click.echo(f"已导出到 {output}")


def _wait_for_job(job_id: int) -> None:
    """Show a queued job's progress until it ends; exit 1 if it failed."""
    import time

    from .extensions import db
    from .jobs import FAILED, Job
    from .jobs.api import progress_of
    with _progress_bar(f"任务 #{job_id}") as progress:
        while True:
            db.session.expire_all()
            job = db.session.get(Job, job_id)
            state = progress_of(job)
            progress(state["done"], state["total"])
            if job.finished:
                break
            db.session.rollback()
            time.sleep(1)
    from .jobs.runner import row_errors
    for row, column, message in row_errors(job.id, limit=200):
        click.echo(f"错误 {'第%s行 ' % row if row else ''}{column + '：' if column else ''}{message}", err=True)
    if job.state == FAILED:
        fail(job.message)
    click.echo(job.message)


@cli.command("worker", help="运行后台任务队列的处理进程（导入、导出、报告、每日定时任务）")
@click.option("--workers", type=int, default=None, help="工作线程数（默认 QUEUE_WORKERS）")
@with_appcontext
def worker_command(workers):
    import logging

    from flask import current_app

    from .jobs.queue import get_queue
    from .jobs.runner import recover_stale, requeue_waiting
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    recovered = recover_stale()   # jobs whose worker was killed: 失败, uploads removed
    waiting = requeue_waiting()
    click.echo(f"后台任务处理进程启动：恢复中断任务 {recovered} 个，重新投递排队任务 {waiting} 个", err=True)
    consumer = get_queue().huey.create_consumer(
        workers=workers or int(current_app.config.get("QUEUE_WORKERS", 2)), worker_type="thread", periodic=True)
    consumer.run()


# --- reports -----------------------------------------------------------------------------

@cli.group("report", help="年度法治政府建设工作报告")
def report_group():
    pass


@report_group.command("build", help="生成年度报告：json 数据、html 打印页、docx 公文（GB/T 9704-2012）、"
                                    "xlsx 指标汇总（含上年对比）与各部分表格")
@click.option("--year", type=int, required=True)
@click.option("--department", default=None, help="单位编码（默认：最上级单位）")
@click.option("--format", "fmt", type=click.Choice(["json", "html", "docx", "xlsx"]), default="json", show_default=True,
              help="json | html | docx（Word 公文）| xlsx（Excel）")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False))
@with_appcontext
def report_build(year, department, fmt, output):
    from .reports.assemble import ReportError, build_report_file
    try:
        build_report_file(year, department, fmt, output)
    except ReportError as exc:
        fail(f"错误：{exc}")
    click.echo(f"已生成 {output}")


# --- backup / restore -------------------------------------------------------------------

@cli.command("backup", help="备份数据库与上传文件到一个 zip（SQLite 与 PostgreSQL 通用）")
@click.argument("file", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(file):
    from .backup import BackupError, backup
    try:
        manifest = backup(file, echo=lambda msg: click.echo(msg, err=True))
    except (BackupError, OSError) as exc:
        fail(f"错误：{exc}")
    tables = sum(1 for n in manifest["members"] if n.startswith("tables/"))
    click.echo(f"已备份 {tables} 张数据表到 {file}")


@cli.command("restore", help="从 intranet backup 的 zip 恢复（数据库须为空且结构版本相同，否则加 --force）")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--force", is_flag=True, help="数据库已有数据时也用备份覆盖")
@with_appcontext
def restore_command(file, force):
    from .backup import BackupError, restore
    try:
        restore(file, force=force, echo=lambda msg: click.echo(msg, err=True))
    except BackupError as exc:
        fail(f"错误：{exc}")
    click.echo(f"已从 {file} 恢复")


# --- jobs --------------------------------------------------------------------------------

@cli.group("jobs", help="定时任务（由 cron 调用）")
def jobs_group():
    pass


def _scheduled_jobs():
    """Every plugin's jobs; a plugin whose ``scheduled_jobs`` raised is reported on stderr."""
    from .hookspecs import ScheduledJob
    from .plugins import call_safely
    jobs, failures = call_safely("scheduled_jobs", expect=ScheduledJob)
    for f in failures:
        click.echo(f"错误：插件「{f.plugin}」无法列出定时任务（错误编号 {f.reference}）", err=True)
    return jobs, failures


@jobs_group.command("list")
@with_appcontext
def jobs_list():
    jobs, failures = _scheduled_jobs()
    for job in jobs:
        click.echo(f"{job.plugin}.{job.name}\t{job.schedule}\t{job.description}")
    if failures:
        sys.exit(1)


@jobs_group.command("run", help="运行定时任务（省略名称时运行全部）；与后台任务处理进程共用每日一次的运行记录，"
                                 "今日已运行的任务跳过（今日运行失败的重新运行）；任一任务失败时以非零状态退出")
@click.argument("names", nargs=-1)
@with_appcontext
def jobs_run(names):
    from .jobs.runner import ALREADY_RAN, run_scheduled_once
    from .models.job import FAILED
    jobs, failures = _scheduled_jobs()
    known = {f"{j.plugin}.{j.name}": j for j in jobs} | {j.name: j for j in jobs}
    unknown = [n for n in names if n not in known]
    if unknown:
        fail(f"错误：未知的任务 {', '.join(unknown)}")
    # Running every job: a plugin that could not list its jobs has failed them all.
    failed = [] if names else [f"{f.plugin}（列出任务）" for f in failures]
    for job in ([known[n] for n in names] if names else jobs):
        label = f"{job.plugin}.{job.name}"
        # the worker's daily claim, once per job and day; a run that failed today may be retried
        outcome = run_scheduled_once(job, retry_failed=True)
        if outcome is None:
            click.echo(f"{label}: {ALREADY_RAN}")
        elif outcome.state == FAILED:
            click.echo(f"错误：任务 {label} 失败：{outcome.message.removeprefix('任务失败：')}", err=True)
            failed.append(label)
        else:
            click.echo(f"{label}: {outcome.message}")
    if failed:
        fail(f"错误：{len(failed)} 个任务失败：{'、'.join(failed)}")


# The names plugins may not take (every command above and Flask's run, shell, routes).
CORE_COMMANDS = frozenset(cli.commands)


def main():
    cli(prog_name="intranet")
