"""WSGI entry point: ``gunicorn dealerhub.wsgi:app``."""

from dealerhub.app import create_app

app = create_app()
