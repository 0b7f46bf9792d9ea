"""WSGI entry point: `gunicorn wsgi:app` in production, `flask --app wsgi run` in development."""
from dotenv import load_dotenv

load_dotenv()   # a local .env (make run writes one); real environment variables win

from portal import create_app  # noqa: E402

app = create_app()
