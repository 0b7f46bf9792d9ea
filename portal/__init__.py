"""Stream Portal: the Flask application factory."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import ROOT, Settings
from .extensions import csrf, db, htmx, login, migrate


def sqlalchemy_url(url: str) -> str:
    # psycopg 3 is our PostgreSQL driver; SQLAlchemy's bare "postgresql://" would mean psycopg2.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    settings = settings or Settings.from_env(**overrides)
    app = Flask(__name__, template_folder=str(ROOT / "templates"),
                static_folder=str(ROOT / "static"), instance_path=str(ROOT / "instance"))
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        SQLALCHEMY_DATABASE_URI=sqlalchemy_url(settings.database_url),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        TESTING=settings.testing,
        WTF_CSRF_TIME_LIMIT=None,            # tied to the session instead: no expiry mid-review
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,  # no video ever comes through here; forms are small
    )
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if settings.trust_proxy:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    if settings.database_url.startswith("sqlite"):
        (ROOT / "instance").mkdir(exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"),
                     render_as_batch=True)  # SQLite can only ALTER through batch copies
    csrf.init_app(app)
    htmx.init_app(app)
    login.init_app(app)
    login.login_view = "auth.signin"
    login.login_message = "Please sign in through Moodle to continue."

    from . import errors, params, security, sessions, sqlite_pragmas
    from .auth.oidc import init_oidc
    from .models import User

    @login.user_loader
    def _load_user(user_id: str):
        return db.session.get(User, int(user_id))

    security.init_security(app)
    sessions.init_sessions(app)     # after init_security, whose cookie settings it reads
    init_oidc(app)
    errors.init_errors(app)
    params.init_params(app)         # the <id:…> converter: before any blueprint's rules
    sqlite_pragmas.init(app)
    from .services import stream_budget
    stream_budget.init_app(app)

    from .admin import bp as admin_bp
    from .auth import bp as auth_bp
    from .embed import bp as embed_bp
    from .health import bp as health_bp
    from .home import bp as home_bp
    from .reports import bp as reports_bp
    from .grading import bp as grading_bp
    from .uploads import bp as uploads_bp
    from .webhooks import bp as webhooks_bp

    for bp in (auth_bp, health_bp, home_bp, reports_bp, uploads_bp, webhooks_bp, grading_bp, admin_bp, embed_bp):
        app.register_blueprint(bp)

    from . import cli, limits, templating
    limits.init_limits(app)         # wraps the registered views: after every blueprint
    cli.init_cli(app)
    templating.init_templating(app)
    return app
