// Keyboard triage for the grading queue and the review pane (no inline script: CSP script-src 'self').
// The player is Stream's iframe, driven with postMessage ({event: "seek", time} / "play" / "pause")
// and reporting back timeupdate {currentTime}, play, pause and ended (emulators/stream/player.py).
(function () {
  "use strict";
  const KEY = "streamportal.shortcuts";
  let enabled = localStorage.getItem(KEY) !== "off";
  let currentTime = 0, playing = false, selectedId = null;

  const rows = () => Array.from(document.querySelectorAll("#queue-rows tr[data-id]"));
  const player = () => document.getElementById("stream-player");
  const byId = (id) => document.getElementById(id);

  function send(message) {
    const frame = player();
    if (frame && frame.contentWindow) frame.contentWindow.postMessage(message, new URL(frame.src).origin);
  }
  function clock(seconds) {
    const s = Math.floor(seconds), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    const mmss = String(s % 60).padStart(2, "0");
    return h ? h + ":" + String(m).padStart(2, "0") + ":" + mmss : m + ":" + mmss;
  }
  function showTime(seconds) {
    const at = byId("comment-at"), label = byId("comment-time");
    if (at) at.value = seconds.toFixed(1);
    if (label) label.textContent = clock(seconds);
  }

  window.addEventListener("message", (event) => {
    const frame = player();
    if (!frame || event.source !== frame.contentWindow) return;   // only our player may talk to us
    const data = event.data || {};
    if (data.event === "timeupdate" && typeof data.currentTime === "number") {
      currentTime = data.currentTime;
      if (document.activeElement !== byId("comment-body")) showTime(currentTime);  // typing: keep the time
    } else if (data.event === "play") {
      playing = true;
      const pane = byId("review");     // the first play starts the review (a POST: GETs change nothing)
      if (pane && pane.dataset.openedUrl && window.htmx) {
        htmx.ajax("POST", pane.dataset.openedUrl, {source: pane, swap: "none"});
        delete pane.dataset.openedUrl;
      }
    } else if (data.event === "pause" || data.event === "ended") {
      playing = false;
    }
  });

  function mark(id) {
    selectedId = id;
    rows().forEach((r) => r.classList.toggle("selected", r.dataset.id === id));
  }
  function select(row) {
    if (!row) return;
    mark(row.dataset.id);
    row.scrollIntoView({ block: "nearest" });
    if (window.htmx) htmx.ajax("GET", row.dataset.reviewUrl, { target: "#review", swap: "outerHTML" });
  }
  function move(step) {
    const list = rows();
    if (!list.length) return;
    const at = list.findIndex((r) => r.dataset.id === selectedId);
    select(at < 0 ? list[0] : list[Math.min(list.length - 1, Math.max(0, at + step))]);
  }
  function click(id) { const el = byId(id); if (el) el.click(); }

  function setEnabled(on) {
    enabled = on;
    localStorage.setItem(KEY, on ? "on" : "off");
    const toggle = byId("shortcuts-toggle");
    if (toggle) {
      toggle.textContent = "Keyboard shortcuts: " + (on ? "on" : "off");
      toggle.setAttribute("aria-pressed", String(on));
    }
  }

  document.addEventListener("click", (event) => {
    const seek = event.target.closest("button.seek");
    if (seek) { send({ event: "seek", time: Number(seek.dataset.seconds) }); send({ event: "play" }); }
    const row = event.target.closest("#queue-rows tr[data-id]");
    if (row && !event.target.closest("button")) mark(row.dataset.id);
    if (event.target.id === "shortcuts-toggle") setEnabled(!enabled);
  });

  // The queue region is swapped when it refreshes: keep the selected row selected.
  document.addEventListener("htmx:afterSwap", () => { if (selectedId) mark(selectedId); });

  // After Approve or Request resubmission the work on this video is done: say so where the page
  // announces things, and move on to the next submission that still needs a review, so a teacher
  // grading thirty videos never reaches for the mouse. After anything else, focus stays in the pane.
  function announce(text) {
    const messages = byId("messages");
    if (!messages) return;
    const note = document.createElement("p");
    note.className = "flash flash-success";
    note.setAttribute("role", "status");
    note.id = "advanced";
    note.textContent = text;
    messages.replaceChildren(note);
  }
  function nextToReview() {
    const list = rows();
    const at = list.findIndex((r) => r.dataset.id === selectedId);
    const waiting = (r) => r.dataset.id !== selectedId && (r.dataset.review === "new" || r.dataset.review === "in_review");
    return list.slice(at + 1).find(waiting) || list.slice(0, Math.max(at, 0)).find(waiting) || null;
  }
  function settled(pane) {
    currentTime = 0; playing = false;              // a new pane means a new player: its time starts again
    const saved = byId("saved"), problem = byId("form-error") || byId("conflict");
    if (saved && saved.dataset.advance && rows().length) {
      const current = rows().find((r) => r.dataset.id === String(pane.dataset.id));
      if (current) current.dataset.review = pane.dataset.review;   // the refresh will confirm it
      const next = nextToReview();
      if (next) {
        announce(saved.textContent.trim().replace(/\s+/g, " ") + " Next: " + next.querySelector("td").textContent.trim() + ".");
        select(next);
        return;
      }
      announce(saved.textContent.trim().replace(/\s+/g, " ") + " Nothing else waits for a review under these filters.");
    }
    if (problem) { const g = byId("grade") || byId("feedback"); (g || problem).focus(); return; }
    if (saved) { saved.focus(); return; }
    const title = byId("review-title");
    const active = document.activeElement;
    if (title && (!active || active === document.body || !document.contains(active))) title.focus({ preventScroll: false });
  }
  document.addEventListener("htmx:afterSettle", (event) => {
    const pane = event.target;
    if (pane && pane.id === "review" && pane.dataset.id) settled(pane);
  });

  // A save that never reached the portal (network down) or that the portal answered with an error
  // page: htmx swaps nothing into the pane, so the typed grade stays; say so beside the form, and
  // offer to send it again with the same button.
  let lastSubmitter = null;
  document.addEventListener("submit", (event) => { lastSubmitter = event.submitter || null; }, true);
  function problemWith(form, words) {
    const box = form.id === "review-form" ? byId("save-problem") : null;
    if (box) {
      box.replaceChildren(document.createTextNode(words + " "));
      const again = document.createElement("button");
      again.type = "button";
      again.id = "save-again";
      again.textContent = "Save again";
      const submitter = lastSubmitter && form.contains(lastSubmitter) ? lastSubmitter : null;
      again.addEventListener("click", () => { box.hidden = true; form.requestSubmit(submitter); });
      box.append(again);
      box.hidden = false;
      again.focus();
      return;
    }
    const messages = byId("messages");
    if (messages) {
      const note = document.createElement("p");
      note.className = "flash flash-error";
      note.setAttribute("role", "alert");
      note.textContent = words;
      messages.replaceChildren(note);
    }
  }
  function formOf(event) {
    const elt = event.detail && event.detail.elt;
    return elt && elt.closest ? elt.closest("form") : null;
  }
  document.addEventListener("htmx:sendError", (event) => {
    const form = formOf(event);
    if (form && form.id === "review-form") {
      problemWith(form, "Not saved: the portal could not be reached (is the network down?). Your grade and feedback are still here.");
    } else if (form && form.id === "comment-form") {
      problemWith(form, "The comment was not added: the portal could not be reached. Your words are still in the field; press Enter to try again.");
    } else {
      return;                      // static/js/portal.js says it for every page
    }
    event.preventDefault();
  });
  // The portal sends its own error pages to #messages (HX-Retarget) and its refusals (409, 422) as
  // the pane with the teacher's words in it; anything else (a proxy's 502 page) must not replace
  // the pane, or the typed grade and feedback would be gone.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const d = event.detail, status = d.xhr ? d.xhr.status : 0;
    if (d.isError && status !== 409 && status !== 422 && !(d.target && d.target.id === "messages")) d.shouldSwap = false;
  });
  document.addEventListener("htmx:responseError", (event) => {
    const form = formOf(event), status = event.detail.xhr ? event.detail.xhr.status : 0;
    // 409 and 422 come back as the pane itself, with the teacher's words and the reason.
    if (form && form.id === "review-form" && status !== 409 && status !== 422) {
      problemWith(form, "Not saved: the portal answered with an error (" + status + "). Your grade and feedback are still here.");
    }
  });

  // A visible count under text fields that have a limit (the server refuses longer text).
  document.addEventListener("input", (event) => {
    const field = event.target;
    if (!field.dataset || !field.dataset.count) return;
    const out = byId(field.dataset.count), max = Number(field.getAttribute("maxlength"));
    if (!out || !max) return;
    out.textContent = field.value.length.toLocaleString("en") + " of " + max.toLocaleString("en") + " characters";
    out.classList.toggle("near", field.value.length >= max * 0.95);
  });

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const typing = event.target.closest && event.target.closest("input, textarea, select, [contenteditable]");
    if (typing) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    if (event.key === "Enter" && event.target.matches && event.target.matches("#queue-rows tr[data-id]")) {
      select(event.target);
      return;
    }
    if (!enabled) return;
    const actions = {
      j: () => move(1), k: () => move(-1),
      " ": () => send({ event: playing ? "pause" : "play" }),
      c: () => {
        const body = byId("comment-body");
        if (!body) return;
        send({ event: "pause" });
        showTime(currentTime);
        body.focus();
      },
      g: () => { const g = byId("grade"); if (g) g.focus(); },
      a: () => click("approve"),
      r: () => click("request-resubmission"),
      "?": () => { const d = byId("shortcuts-help"); if (d) d.open ? d.close() : d.showModal(); },
    };
    const action = actions[event.key] || actions[event.key.toLowerCase()];
    if (action) { event.preventDefault(); action(); }
  });

  document.addEventListener("DOMContentLoaded", () => setEnabled(enabled));
})();
