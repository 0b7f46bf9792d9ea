import pytest

pytest_plugins = [
    "tests.support.browser",
    "tests.fixtures.stream",
    "tests.fixtures.moodle",
    "tests.fixtures.portal",
]

DBLESS_DIRS = ("tests/emulators/", "tests/plugin/")


def pytest_addoption(parser):
    parser.addoption("--db", choices=("sqlite", "postgres"), default="sqlite",
                     help="database the portal's tests run on (make test runs both)")


def pytest_configure(config):
    config.addinivalue_line("markers", "dbless: needs no portal database (run once, not per database)")
    config.addinivalue_line("markers", "e2e: drives a real browser")


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = str(item.path).replace("\\", "/")
        if any(d in path for d in DBLESS_DIRS):
            item.add_marker(pytest.mark.dbless)
        if "/tests/e2e/" in path:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def database_url(request, tmp_path_factory):
    from tests.support.database import throwaway_database

    with throwaway_database(request.config.getoption("--db"), tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def app(database_url):
    """The portal with every outside service unreachable: for tests that must not need one."""
    from flask_migrate import upgrade

    from tests.support.portal import make_app

    application = make_app(database_url)
    with application.app_context():
        upgrade()
    return application


@pytest.fixture
def db(app):
    from portal.extensions import db as _db
    from tests.support.database import wipe

    with app.app_context():
        yield _db
        _db.session.remove()
        wipe(_db)


@pytest.fixture
def client(app, db):
    from portal.limits import limiter_of

    limiter_of(app).reset()      # rate-limit counters start afresh per test (ids are reused)
    return app.test_client()


@pytest.fixture
def make(db):
    from tests.factories import Factory

    return Factory(db)
