// Keyboard triage for the grading queue and the review pane. The player is Stream's iframe,
// driven with postMessage (seek, play, pause) and reporting its time back (timeupdate).
(function () {
  "use strict";
  const KEY = "streamportal.shortcuts";
  let enabled = localStorage.getItem(KEY) !== "off";
  let currentTime = 0, lastUpdate = 0;

  const $ = (sel) => document.querySelector(sel);
  const rows = () => Array.from(document.querySelectorAll("#queue-rows tr[data-id]"));
  const player = () => document.getElementById("stream-player");

  function send(message) {
    const frame = player();
    if (frame && frame.contentWindow) frame.contentWindow.postMessage(message, new URL(frame.src).origin);
  }
  function clock(seconds) {
    const s = Math.floor(seconds);
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  window.addEventListener("message", (event) => {
    const frame = player();
    if (!frame || event.source !== frame.contentWindow) return;
    const data = event.data || {};
    if (data.event === "timeupdate" && typeof data.currentTime === "number") {
      currentTime = data.currentTime;
      lastUpdate = Date.now();
      const at = document.getElementById("comment-at"), label = document.getElementById("comment-time");
      if (at && document.activeElement !== document.getElementById("comment-body")) {
        at.value = currentTime.toFixed(1);
        label.textContent = clock(currentTime);
      }
    }
  });

  function select(row) {
    rows().forEach((r) => r.classList.toggle("selected", r === row));
    if (!row) return;
    row.scrollIntoView({ block: "nearest" });
    if (window.htmx) htmx.ajax("GET", row.dataset.reviewUrl, { target: "#review", swap: "outerHTML" });
  }
  function move(step) {
    const list = rows();
    if (!list.length) return;
    const at = list.findIndex((r) => r.classList.contains("selected"));
    select(list[Math.min(list.length - 1, Math.max(0, at + step))] || list[0]);
  }
  function click(id) { const el = document.getElementById(id); if (el) el.click(); }

  function setEnabled(on) {
    enabled = on;
    localStorage.setItem(KEY, on ? "on" : "off");
    const toggle = document.getElementById("shortcuts-toggle");
    if (toggle) {
      toggle.textContent = "Keyboard shortcuts: " + (on ? "on" : "off");
      toggle.setAttribute("aria-pressed", String(on));
    }
  }

  document.addEventListener("click", (event) => {
    const seek = event.target.closest("button.seek");
    if (seek) { send({ event: "seek", time: Number(seek.dataset.seconds) }); send({ event: "play" }); }
    const row = event.target.closest("#queue-rows tr[data-id]");
    if (row) rows().forEach((r) => r.classList.toggle("selected", r === row));
    if (event.target.id === "shortcuts-toggle") setEnabled(!enabled);
  });

  document.addEventListener("keydown", (event) => {
    if (!enabled || event.ctrlKey || event.metaKey || event.altKey) return;
    const typing = event.target.closest("input, textarea, select, [contenteditable]");
    if (typing) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    const actions = {
      j: () => move(1), k: () => move(-1),
      " ": () => send({ event: Date.now() - lastUpdate < 600 ? "pause" : "play" }),
      c: () => {
        send({ event: "pause" });
        const body = document.getElementById("comment-body");
        if (body) {
          document.getElementById("comment-at").value = currentTime.toFixed(1);
          document.getElementById("comment-time").textContent = clock(currentTime);
          body.focus();
        }
      },
      g: () => { const g = document.getElementById("grade"); if (g) g.focus(); },
      a: () => click("approve"),
      r: () => click("request-resubmission"),
      "?": () => { const d = document.getElementById("shortcuts-help"); if (d) d.open ? d.close() : d.showModal(); },
    };
    const action = actions[event.key.toLowerCase()] || actions[event.key];
    if (action) { event.preventDefault(); action(); }
  });

  document.addEventListener("DOMContentLoaded", () => setEnabled(enabled));
})();
