"""WSGI entry point: `flask` finds `app` here; gunicorn serves `wsgi:app`."""

from app import create_app
from app.scheduler import init_scheduler

app = create_app()
# Starts only when SCHEDULER_ENABLED=1 (make run sets it for the server process).
init_scheduler(app)
