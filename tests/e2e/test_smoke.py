"""A real browser opens the portal and finds the way to sign in."""
from tests.support.servers import ServerThread, free_port
from tests.support.portal import make_app


def test_portal_opens_on_the_sign_in_page(page, database_url, app, db):
    port = free_port()
    server = ServerThread(make_app(database_url, base_url=f"http://127.0.0.1:{port}"), port=port).start()
    try:
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(server.url + "/")
        assert page.url.startswith(server.url + "/signin")
        assert page.get_by_role("heading", name="Sign in").is_visible()
        assert page.get_by_role("link", name="Sign in with Moodle").is_visible()
        # htmx loaded from the npm-installed vendor folder, under our CSP, without errors
        assert page.evaluate("typeof htmx !== 'undefined' && htmx.version.startsWith('2.')")
        assert errors == []
    finally:
        server.stop()
