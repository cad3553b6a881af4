"""A token that changes with every write to the tables a cached page is made from.

One row per cached page kind (`name`); `token` is a fresh random value written by triggers
in the same statement as any INSERT, UPDATE or DELETE (and TRUNCATE on PostgreSQL) of those
tables (app/dashboard/fragments.py, migration 0018). A random value rather than a counter:
a database restored from a backup, or a test's world restored after it, goes back to an
earlier state and would count the same numbers again over different data; a random token
names one state only.
"""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class DataVersion(db.Model):
    __tablename__ = "data_versions"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    token: Mapped[str] = mapped_column(String(64))
