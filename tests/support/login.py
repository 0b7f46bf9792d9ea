"""Signing a user in for tests that are not about sign-in (that one goes through Moodle)."""
import re


def login(client, user) -> str:
    """Put `user` in the test client's session; returns the page's CSRF token."""
    with client.session_transaction() as s:
        s["_user_id"] = str(user.id)
        s["_fresh"] = True
    page = client.get("/")
    return re.search(r'"X-CSRFToken": "([^"]+)"', page.text).group(1)
