"""SQL sources against real servers: MariaDB on 127.0.0.1:3306 (root, no password, database `test`)
and PostgreSQL on 127.0.0.1:5432 (postgres, trust auth).

Marked `services`: skipped when a server is absent, a failure when REQUIRE_SERVICES=1.
Each test creates its own uniquely named tables and drops them afterwards.
"""

import uuid

import pytest
from django.core.exceptions import ValidationError

from apps.catalog.models import Dataset, SyncStatus
from apps.catalog.services.sources import source_create, source_sync, source_sync_start, source_test_start
from apps.jobs.models import JobStatus
from apps.jobs.services import job_run
from tests.services import services_required

pytestmark = [pytest.mark.services, pytest.mark.django_db]

MARIADB = "mysql+pymysql://root@127.0.0.1:3306/test"
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def require_server(url: str):
    """An engine on `url`, or skip (fail under REQUIRE_SERVICES=1) when the server does not answer."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any driver error means "not there"
        engine.dispose()
        message = f"{url.split('@')[-1]} is not reachable ({error.__class__.__name__})"
        if services_required():
            pytest.fail("REQUIRE_SERVICES=1 but " + message, pytrace=False)
        pytest.skip(message)
    return engine


@pytest.fixture
def mariadb_table():
    from sqlalchemy import text

    engine = require_server(MARIADB)
    name = f"atrium_orders_{uuid.uuid4().hex[:8]}"
    with engine.begin() as connection:
        connection.execute(text(f"CREATE TABLE {name} (id INT PRIMARY KEY, total DECIMAL(10,2) NOT NULL)"))
        connection.execute(text(f"INSERT INTO {name} VALUES (1, 9.50), (2, 3.00), (3, 1.25)"))  # noqa: S608 - generated name
    yield name
    with engine.begin() as connection:
        connection.execute(text(f"DROP TABLE IF EXISTS {name}"))
    engine.dispose()


@pytest.fixture
def postgres_schema():
    from sqlalchemy import text

    engine = require_server(POSTGRES)
    schema = f"atrium_{uuid.uuid4().hex[:8]}"
    with engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
        connection.execute(text(f"CREATE TABLE {schema}.customers (id bigint PRIMARY KEY, email text)"))
        connection.execute(text(f"INSERT INTO {schema}.customers VALUES (1, 'a@x.org'), (2, NULL)"))  # noqa: S608 - generated name
    yield schema, engine
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


def run(job):
    job_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def test_mariadb_source_tests_and_syncs_with_row_counts(fraud_team, alice, mariadb_table):
    source = source_create(team=fraud_team, by=alice, kind="sql", name="Shop DB", url=MARIADB)
    job = run(source_test_start(source=source, by=alice))
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.result["message"].startswith("Connected to")
    summary = source_sync(source=source, by=alice)
    entry = next(e for e in summary["added"] if e["path"] == f"test.{mariadb_table}")
    dataset = Dataset.objects.get(pk=entry["id"])
    assert dataset.latest_version.row_count == 3
    assert dataset.latest_version.schema[1]["name"] == "total"
    assert dataset.latest_version.schema[1]["nullable"] is False


def test_mariadb_wrong_password_fails_with_a_clear_message(fraud_team, alice, mariadb_table):
    source = source_create(
        team=fraud_team,
        by=alice,
        kind="sql",
        name="Wrong",
        url="mysql+pymysql://root@127.0.0.1:3306/test",
        password="definitely-wrong",  # noqa: S106 - the point of the test
    )
    job = run(source_test_start(source=source, by=alice))
    assert job.status == JobStatus.FAILED
    assert job.error == "The database refused the user name or password (user “root”)."
    job = run(source_sync_start(source=source, by=alice))
    assert job.status == JobStatus.FAILED
    source.refresh_from_db()
    assert source.sync_status == SyncStatus.FAILED
    assert "definitely-wrong" not in str(source.last_sync_summary)
    assert not Dataset.objects.filter(source=source).exists()


def test_mariadb_unknown_database_says_so(fraud_team, alice, mariadb_table):
    source = source_create(
        team=fraud_team, by=alice, kind="sql", name="Nope", url="mysql+pymysql://root@127.0.0.1:3306/nope_db"
    )
    job = run(source_test_start(source=source, by=alice))
    assert job.error == "The database “nope_db” does not exist on the server 127.0.0.1:3306."


def test_postgres_source_syncs_user_schemas_read_only(fraud_team, alice, postgres_schema):
    schema, engine = postgres_schema
    source = source_create(
        team=fraud_team, by=alice, kind="sql", name="PG", url=POSTGRES, options={"schemas": [schema]}
    )
    summary = source_sync(source=source, by=alice)
    assert [entry["path"] for entry in summary["added"]] == [f"{schema}.customers"]
    dataset = Dataset.objects.get(source=source)
    assert dataset.name == f"{schema}.customers"
    assert dataset.latest_version.row_count == 2
    assert [c["type"] for c in dataset.latest_version.schema] == ["bigint", "text"]
    from sqlalchemy import text

    with engine.begin() as connection:
        connection.execute(text(f"ALTER TABLE {schema}.customers ALTER COLUMN id TYPE numeric"))
    summary = source_sync(source=source, by=alice)
    assert summary["changed"][0]["retyped"] == [{"name": "id", "old": "bigint", "new": "numeric"}]


def test_postgres_unreachable_port_and_deny_listed_host(fraud_team, alice, postgres_schema):
    source = source_create(
        team=fraud_team, by=alice, kind="sql", name="Down", url="postgresql+psycopg://postgres@127.0.0.1:1/x"
    )
    job = run(source_test_start(source=source, by=alice))
    assert job.error.startswith("Cannot reach the database server at 127.0.0.1:1")
    with pytest.raises(ValidationError):
        source_create(
            team=fraud_team,
            by=alice,
            kind="sql",
            name="Meta",
            url="postgresql+psycopg://postgres@169.254.169.254/x",
        )
