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
  // A new review pane means a new player: its time starts again.
  document.addEventListener("htmx:afterSettle", (event) => {
    if (event.target && event.target.id === "review") { currentTime = 0; playing = false; }
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
