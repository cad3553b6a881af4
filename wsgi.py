"""WSGI entry point: `flask` finds `app` here; gunicorn serves `wsgi:app`.

SAURO_ENV picks the configuration: `production` gives ProductionConfig (DEBUG off, HSTS,
Secure `__Host-` cookies: the app must then be reached over HTTPS, docs/deploy.md), anything
else the development Config that `make run` serves on http://127.0.0.1:5000 (a Secure cookie
would never come back over plain HTTP, so logging in there would fail). gunicorn.conf.py sets
SAURO_ENV=production unless told otherwise.
"""

import os

from app import create_app
from app.scheduler import init_scheduler
from config import Config, ProductionConfig, config_for

config_class = config_for(os.environ.get("SAURO_ENV"))
if config_class is ProductionConfig and os.environ.get("SECRET_KEY", "") in (
        "", Config.DEV_SECRET_KEY):
    # Anyone who knows the default key could sign a session cookie for any user.
    raise RuntimeError("SAURO_ENV=production needs SECRET_KEY set to a long random value "
                       "(python3 -c 'import secrets; print(secrets.token_hex(32))')")
app = create_app(config_class)
# Starts only when SCHEDULER_ENABLED=1 (make run sets it for the server process).
init_scheduler(app)
