"""WSGI entry point: ``gunicorn app:server`` (or ``citybrain serve``)."""

from citybrain.app_factory import create_app

app = create_app()
server = app.server
