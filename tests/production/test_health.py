"""/healthz: 200 when the database answers and its schema is at the migrations head,
503 with the reason otherwise."""

from __future__ import annotations

import psycopg
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from config import BASE_DIR
from donation_drive import create_app
from donation_drive.extensions import db
from tests.conftest import migrate_to_head


def migration_heads() -> list[str]:
    return sorted(ScriptDirectory(str(BASE_DIR / "migrations")).get_heads())


def test_healthz_is_ok_with_the_schema_at_the_head(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["migrations"] == {
        "current": migration_heads(),
        "head": migration_heads(),
        "at_head": True,
    }
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_is_503_when_the_database_is_unreachable(unreachable_app):
    response = unreachable_app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error"
    assert body["database"] == "unreachable"
    assert "unreachable" in body["error"]
    assert "s3cret-pw" not in response.get_data(as_text=True)


def test_healthz_is_503_on_a_database_never_migrated(unmigrated_app):
    response = unmigrated_app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["database"] == "ok"
    assert body["migrations"]["current"] == []
    assert "db upgrade" in body["error"]


def test_healthz_is_503_when_the_schema_is_behind(app, client):
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM alembic_version"))
    body = client.get("/healthz").get_json()
    assert body["migrations"]["at_head"] is False
    assert client.get("/healthz").status_code == 503


def test_healthz_is_503_when_the_database_is_newer_than_the_code(app, client):
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed0042'"))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "does not know" in response.get_json()["error"]


@pytest.mark.postgres
def test_healthz_turns_503_when_a_working_postgresql_database_goes_away(postgres, tmp_path):
    url = postgres.create_database()
    migrate_to_head(url, tmp_path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url}, instance_path=str(tmp_path))
    with app.app_context():
        client = app.test_client()
        assert client.get("/healthz").status_code == 200  # a pooled connection now exists
        with psycopg.connect(postgres.url("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        response = client.get("/healthz")
        db.engine.dispose()
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"
