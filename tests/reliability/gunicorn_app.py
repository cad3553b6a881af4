"""The WSGI app the reliability groups serve with gunicorn: the test configuration on the
database named by SAURO_TEST_DATABASE_URL, with CSRF on (clients read the token from the
forms, as browsers do)."""

import os
from datetime import date

from app import create_app
from config import TestConfig

app = create_app(
    TestConfig,
    SQLALCHEMY_DATABASE_URI=os.environ["SAURO_TEST_DATABASE_URL"],
    UPLOAD_FOLDER=os.environ["SAURO_TEST_UPLOAD_FOLDER"],
    WTF_CSRF_ENABLED=True,
    TESTING=False,
    TODAY=date(2026, 6, 15),
)
