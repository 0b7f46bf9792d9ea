"""The player shown inside Moodle's assignment pages, authorised by the portal."""
from __future__ import annotations

from flask import current_app, render_template, request

from ..services.embed import EmbedRefused, resolve
from ..services.playback import PlaybackUnavailable, playback_for
from . import bp


@bp.get("/moodle")
def moodle():
    try:
        user, sub = resolve(current_app.config["SETTINGS"].embed_secret, request.args)
        playback = playback_for(user, sub)      # the viewer's own rights, as in the portal
    except EmbedRefused as exc:
        return render_template("embed/player.html", error=exc.message), exc.status
    except PlaybackUnavailable as exc:
        return render_template("embed/player.html", error=str(exc)), 409
    return render_template("embed/player.html", playback=playback, sub=sub)
