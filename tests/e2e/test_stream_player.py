"""A real browser plays a video through Stream's signed iframe, and is refused with an expired token."""
from tests.support.browser import wait_js
from portal.services.stream import iframe_url, sign_playback_token


def test_signed_iframe_plays_and_expired_token_is_refused(page, stream_client, stream_emulator, make_video):
    uid = stream_emulator.ready_video(make_video(3))
    key = stream_client.create_signing_key()

    token = sign_playback_token(uid, key.id, key.pem, ttl_seconds=120)
    page.goto(iframe_url(stream_emulator.customer_domain, token))
    wait_js(page, "document.getElementById('video').readyState >= 2")
    page.evaluate("document.getElementById('video').muted = true; document.getElementById('video').play()")
    wait_js(page, "document.getElementById('video').currentTime > 0.5")
    assert 2.9 <= page.evaluate("document.getElementById('video').duration") <= 3.2

    expired = sign_playback_token(uid, key.id, key.pem, ttl_seconds=60, now=1_600_000_000)
    response = page.goto(iframe_url(stream_emulator.customer_domain, expired))
    assert response.status == 401
    assert page.locator("video").count() == 0 and "expired" in page.text_content("#reason")
