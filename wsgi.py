"""WSGI entry point: `flask` finds `app` here; gunicorn serves `wsgi:app`."""

from app import create_app

app = create_app()
