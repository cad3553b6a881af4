"""Tokens that change with every write to the tables a cached page is made from.

One row per token (`name`): the home page's `home` (the province's: renewed by writes of
units, people, fields and plans) and `home:<id>` per department (renewed by writes of the
tasks, tallies and extensions of that department's units and people); `token` is a fresh
random value written by triggers (app/dashboard/fragments.py, migrations 0020 and 0022). A
random value rather than a counter: a database restored from a backup, or a test's world
restored after it, goes back to an earlier state and would count the same numbers again over
different data; a random token names one state only.
"""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class DataVersion(db.Model):
    __tablename__ = "data_versions"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    token: Mapped[str] = mapped_column(String(64))
