"""Each plugin's demo data has its own random generator: adding a plugin changes no other's records."""
import sys
from pathlib import Path

from sqlalchemy import DateTime, inspect, select

TEST_PLUGINS = str(Path(__file__).parent / "plugins")   # the test plugins are not installed packages
if TEST_PLUGINS not in sys.path:
    sys.path.insert(0, TEST_PLUGINS)

from sample_config import fake_plugin  # noqa: E402

from intranet import create_app  # noqa: E402
from intranet.demo import load_demo, plugin_rng  # noqa: E402
from intranet.plugins import enabled_plugin_names, protected_tables  # noqa: E402
from intranet.schema import app_tables  # noqa: E402
from intranet.testing import BASE_CONFIG, empty_all_tables  # noqa: E402


def plugin_records(app, db) -> dict[str, list]:
    """Every row of every enabled plugin's tables, without the database's own timestamps."""
    existing = set(inspect(db.engine).get_table_names())
    records = {}
    for table in app_tables(app):
        if table.name in protected_tables() or table.name not in existing:
            continue
        columns = [c for c in table.columns if not (c.server_default is not None and isinstance(c.type, DateTime))]
        records[table.name] = [tuple(r) for r in db.session.execute(select(*columns).order_by(*table.primary_key))]
    return records


def test_an_extra_plugin_changes_no_other_plugins_demo_records(app, db, monkeypatch):
    plugins = enabled_plugin_names(app)
    load_demo("small", echo=lambda *a: None)
    before = plugin_records(app, db)
    assert plugins and any(before.values()), "no installed plugin with demo records to compare"
    empty_all_tables(db)

    def greedy(scale, context):
        """Called first (registered last): draws from its generator before any other plugin."""
        for _ in range(1000):
            context.rng.random()

    sources = fake_plugin(monkeypatch, "zz_extra", demo_data=greedy)
    extra = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "PLUGINS": plugins + ["zz_extra"], "PLUGIN_SOURCES": sources})
    with extra.app_context():
        load_demo("small", echo=lambda *a: None)
        after = plugin_records(extra, db)
        db.session.remove()
    assert after == before


def test_a_plugin_generator_depends_on_the_seed_and_the_name():
    assert plugin_rng(2024, "a").random() == plugin_rng(2024, "a").random()
    assert plugin_rng(2024, "a").random() != plugin_rng(2024, "b").random()
    assert plugin_rng(2024, "a").random() != plugin_rng(2025, "a").random()
