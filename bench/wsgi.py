"""The app as the benchmark serves it: wsgi.py's app, judged as of BENCH_TODAY (the date the
data was generated around) so that a run across midnight sees the same overdue rows."""

import os
from datetime import date

from app import create_app
from config import Config

overrides = {}
if os.environ.get("BENCH_TODAY"):
    overrides["TODAY"] = date.fromisoformat(os.environ["BENCH_TODAY"])
app = create_app(Config, **overrides)
