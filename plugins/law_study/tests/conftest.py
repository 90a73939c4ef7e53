"""Enable law_study in every test app (also before it is pip-installed) and give it its tables.

The core's fixtures (app, db, org, make_person, login, …) come from ``intranet.testing``, which
pytest loads through the core's ``pytest11`` entry point: no ``pytest_plugins`` here.
"""
import pytest

from intranet.schema import create_all


@pytest.fixture
def app_config():
    return {"PLUGIN_SOURCES": {"law_study": "intranet_law_study.plugin"}}


@pytest.fixture(autouse=True)
def _tables(request):
    if "app" in request.fixturenames:
        create_all(request.getfixturevalue("app"))
