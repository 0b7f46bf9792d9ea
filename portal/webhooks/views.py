"""Stream's webhook: verified, stored once, applied idempotently, acknowledged fast."""
from __future__ import annotations

from flask import current_app, jsonify, request

from ..extensions import csrf
from ..services import stream_events
from ..services.stream import WebhookSignatureError
from . import bp


@bp.post("/webhooks/stream")
@csrf.exempt            # Stream cannot send a CSRF token; the HMAC signature stands in for it
def stream_webhook():
    settings = current_app.config["SETTINGS"]
    body = request.get_data(cache=False)
    try:
        outcome = stream_events.receive(body, request.headers.get("Webhook-Signature", ""),
                                        settings.stream_webhook_secret)
    except WebhookSignatureError as exc:
        current_app.logger.warning("refused a Stream webhook: %s", exc)
        return jsonify(error=401, message="Webhook signature refused."), 401
    except ValueError:
        return jsonify(error=400, message="The webhook body is not a Stream video object."), 400
    return jsonify(result=outcome), 200
