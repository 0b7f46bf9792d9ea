"""Signing a user in for tests that are not about sign-in (that one goes through Moodle)."""
import re


def login(client, user) -> str:
    """Put `user` in the test client's session; returns the page's CSRF token."""
    with client.session_transaction() as s:
        s["_user_id"] = str(user.id)
        s["_fresh"] = True
    # Tests keep one app context open (the `db` fixture), so `g` outlives a request there: forget
    # the user Flask-Login and authz cached for the previous one.
    from flask import g, has_app_context
    if has_app_context():
        g.pop("_login_user", None)
        g.pop("_role_flags", None)
    page = client.get("/", follow_redirects=True)   # "/" sends teachers to their queue…
    return re.search(r'"X-CSRFToken": "([^"]+)"', page.text).group(1)
