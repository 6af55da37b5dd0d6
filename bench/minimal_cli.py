"""The yardstick for bench/cli_startup.py: the least a Flask + Flask-SQLAlchemy command
can do. One model, one command listing the bench database's drives, run through Flask's
own CLI group as ``donation-drive`` is, so the difference between the two is what
Donation Drive adds to starting a command.

    DATABASE_URL=sqlite:///... .venv/bin/python bench/minimal_cli.py list
"""

import os

import click
from flask import Flask
from flask.cli import FlaskGroup
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Drive(db.Model):
    __tablename__ = "drives"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str]


@click.command("list")
def list_command() -> None:
    for slug in db.session.scalars(select(Drive.slug)):
        click.echo(slug)


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    db.init_app(app)
    app.cli.add_command(list_command)
    return app


if __name__ == "__main__":
    FlaskGroup(create_app=create_app).main(prog_name="minimal_cli")
