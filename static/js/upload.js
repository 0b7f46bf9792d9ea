// The student's upload: pre-flight checks, tus straight to Stream, progress, pause/resume,
// resume after anything (the portal keeps the upload URL and the file's fingerprint).
(function () {
  "use strict";
  const MiB = 1024 * 1024;
  // Stream's tus rules: every chunk but the last is at least 5 MiB and a multiple of 256 KiB.
  const MIN_CHUNK = 5 * MiB, CHUNK_STEP = 256 * 1024;
  // A dropped connection re-sends the chunk in flight: aim for chunks of about this much transfer.
  const CHUNK_SECONDS = 30;

  // The next chunk for a link that moved `bytesPerSecond`: about CHUNK_SECONDS of transfer, within
  // Stream's rules and the portal's largest chunk. 1 Mbit/s gives 5 MiB (42 s lost at worst per drop).
  function chunkFor(bytesPerSecond, largest) {
    const wanted = Math.floor(bytesPerSecond * CHUNK_SECONDS / CHUNK_STEP) * CHUNK_STEP;
    return Math.max(MIN_CHUNK, Math.min(largest, wanted || MIN_CHUNK));
  }

  // Time left as a person says it.
  function remaining(seconds) {
    if (!isFinite(seconds) || seconds < 0) return "";
    if (seconds < 10) return "a few seconds left";
    if (seconds < 55) return "about " + Math.round(seconds / 5) * 5 + " seconds left";
    const minutes = Math.round(seconds / 60);
    if (minutes < 60) return "about " + minutes + (minutes === 1 ? " minute" : " minutes") + " left";
    const h = Math.floor(minutes / 60), m = minutes % 60;
    return "about " + h + (h === 1 ? " hour" : " hours") + (m ? " " + m + (m === 1 ? " minute" : " minutes") : "") + " left";
  }
  window.StreamUpload = { chunkFor: chunkFor, remaining: remaining, MIN_CHUNK: MIN_CHUNK };

  const area = document.getElementById("upload");
  if (!area) return;
  const $ = (id) => document.getElementById(id);
  const d = area.dataset;
  const csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
  const largestChunk = Number(d.chunkSize);
  // A retried request keeps trying, long after the list's end: the page recovers by itself.
  const RETRY_DELAYS = [0, 1000, 3000, 5000, 10000, 20000, 30000].concat(Array(500).fill(60000));
  let upload = null, wakeLock = null;
  // One transfer at a time: "running" from start() until tus reports success, error or our abort.
  let running = false, stopping = null, finished = false;
  let samples = [];   // [time ms, bytes] for speed over the last few seconds
  let chunkStarted = 0;

  function human(bytes) {      // as Moodle shows sizes (and human_size on the server): 1024-based
    const units = ["bytes", "KB", "MB", "GB"];
    let i = 0;
    while (bytes >= 1024 && i < units.length - 1) { bytes /= 1024; i++; }
    return i ? bytes.toFixed(1).replace(/\.0$/, "") + " " + units[i] : bytes.toFixed(0) + " bytes";
  }
  function refuse(message) {
    const box = $("preflight");
    box.textContent = message;
    box.hidden = false;
  }
  function notice(message) {       // what the page is doing about a fault; empty when all is well
    const box = $("upload-notice");
    box.textContent = message || "";
    box.hidden = !message;
  }
  function buttons(state) {        // exactly one of Pause / Resume, or neither
    $("pause").hidden = state !== "running";
    $("resume").hidden = state !== "paused";
  }

  // Duration read locally from the file's own metadata: no byte leaves the browser for this.
  function readDuration(file) {
    return new Promise((resolve) => {
      const video = document.createElement("video");
      const url = URL.createObjectURL(file);
      const done = (value) => { URL.revokeObjectURL(url); resolve(value); };
      video.preload = "metadata";
      video.onloadedmetadata = () => done(video.duration);
      video.onerror = () => done(null);
      setTimeout(() => done(null), 15000);
      video.src = url;
    });
  }

  // Fingerprint: size plus SHA-256 of the first and last chunk, so the same file is recognised
  // after a browser restart or on another device, and a different file is not. The slice size is
  // the portal's largest chunk, not the adaptive one, so a fingerprint never changes with the link.
  async function fingerprint(file) {
    const head = await file.slice(0, Math.min(largestChunk, file.size)).arrayBuffer();
    const tail = await file.slice(Math.max(0, file.size - largestChunk)).arrayBuffer();
    const parts = [];
    for (const buf of [head, tail]) {
      const digest = await crypto.subtle.digest("SHA-256", buf);
      parts.push(Array.from(new Uint8Array(digest)).map((b) => b.toString(16).padStart(2, "0")).join(""));
    }
    return "v1-" + file.size + "-" + parts[0].slice(0, 32) + parts[1].slice(0, 32);
  }

  async function preflight(file) {
    const accepted = d.accept.split(",").map((t) => t.trim());
    if (!accepted.includes(file.type)) {
      return "“" + file.name + "” is not an accepted video type (" + d.acceptNames +
        "). Export it as MP4 and try again.";
    }
    if (file.size > Number(d.maxBytes)) {
      return "The file is " + human(file.size) + "; this assignment accepts videos up to " +
        human(Number(d.maxBytes)) + ".";
    }
    const seconds = await readDuration(file);
    if (!seconds || !isFinite(seconds)) {
      return "The video's length could not be read. Try another browser, or export the video as MP4.";
    }
    if (seconds > Number(d.maxSeconds)) {
      return "The video is " + (seconds / 60).toFixed(1) + " minutes long; this assignment accepts up to " +
        (Number(d.maxSeconds) / 60) + " minutes.";
    }
    file.durationSeconds = seconds;
    return null;
  }

  function showProgress(sent, total) {
    const now = Date.now();
    notice("");                     // bytes are moving again
    samples.push([now, sent]);
    while (samples.length > 2 && now - samples[0][0] > 8000) samples.shift();
    const [t0, b0] = samples[0];
    const speed = now > t0 ? (sent - b0) / ((now - t0) / 1000) : 0;
    const pct = total ? (sent / total) * 100 : 0;
    $("bar").value = pct;
    $("progress-text").textContent = pct.toFixed(1) + "% · " + human(sent) + " of " + human(total) +
      (speed > 0 ? " · " + human(speed) + "/s · " + remaining((total - sent) / speed) : "");
  }

  // After each chunk, size the next one from how fast this one went.
  function chunkDone(chunkSize) {
    const now = Date.now();
    const seconds = (now - chunkStarted) / 1000;
    chunkStarted = now;
    if (upload && seconds > 0) {
      upload.options.chunkSize = chunkFor(chunkSize / seconds, largestChunk);
      area.dataset.currentChunk = String(upload.options.chunkSize);
    }
  }

  function explain(err) {           // a fault the page keeps retrying, in words
    const status = err.originalResponse ? err.originalResponse.getStatus() : 0;
    if (status === 0) {
      return "Cloudflare Stream is not answering, or the connection dropped. This page keeps trying " +
        "by itself and continues where it stopped; leave it open.";
    }
    return "Cloudflare Stream is not answering right now. This page keeps trying by itself; leave it open.";
  }

  async function keepAwake() {
    try { if ("wakeLock" in navigator) wakeLock = await navigator.wakeLock.request("screen"); } catch (e) { /* not allowed: fine */ }
  }
  // Across tabs and windows of this browser too: the transfer holds a Web Lock named after the
  // assignment, so a second tab cannot send the same upload at the same time (Stream would answer 423).
  let unlock = null;
  function lock() {
    if (!navigator.locks) return Promise.resolve(true);
    return new Promise((resolve) => {
      navigator.locks.request("stream-portal upload " + d.endpoint, { ifAvailable: true }, (held) => {
        resolve(Boolean(held));
        return held ? new Promise((done) => { unlock = done; }) : undefined;
      });
    });
  }
  function release() {
    running = false;
    if (unlock) { unlock(); unlock = null; }
    if (wakeLock) { wakeLock.release().catch(() => {}); wakeLock = null; }
  }
  function go() {                   // the single place a transfer starts
    if (running || finished || !upload) return;
    running = true;
    samples = [];
    chunkStarted = Date.now();
    buttons("running");
    lock().then((held) => {
      if (!running) { release(); return; }           // paused while waiting for the lock
      if (!held) {
        release();
        buttons(upload.url ? "paused" : "none");
        $("file").disabled = false;
        $("dropzone").hidden = false;
        refuse("This upload is being sent from another tab or window; let it finish there, or close " +
          "that one and continue here.");
        return;
      }
      keepAwake();
      upload.start();
    });
  }
  window.addEventListener("beforeunload", (event) => {
    if (running) { event.preventDefault(); event.returnValue = ""; }
  });
  document.addEventListener("visibilitychange", () => {
    if (running && document.visibilityState === "visible") keepAwake();
  });

  // Done: the card says so, the stale resume offer goes, and the list of attempts (rendered by the
  // portal from the same template as the page) shows the new attempt processing.
  function succeeded() {
    finished = true;
    release();
    notice("");
    $("progress").hidden = true;
    $("dropzone").hidden = true;
    $("upload-done").hidden = false;
    for (const id of ["resume-note", "cancel-form"]) { const el = $(id); if (el) el.remove(); }
    $("upload-heading").textContent = "Upload complete";
    if (window.htmx && $("attempts")) {
      htmx.ajax("GET", location.pathname, { target: "#attempts", swap: "outerHTML" });
    }
  }

  async function start(file) {
    if (running || finished) return;
    $("preflight").hidden = true;
    const problem = await preflight(file);
    if (problem) { refuse(problem); return; }
    const fp = await fingerprint(file);
    const resumeUrl = d.resumeUrl && d.resumeFingerprint === fp ? d.resumeUrl : null;
    if (d.resumeUrl && !resumeUrl) {
      refuse("This is not the file of the unfinished upload (" + d.resumeName + ", " +
        human(Number(d.resumeSize)) + "). Pick that file to resume, or cancel the unfinished upload.");
      return;
    }
    if (running) return;            // a second pick while the first was being checked
    $("progress").hidden = false;
    $("dropzone").hidden = true;    // one file per upload: the picker is back only if it stops
    $("file").disabled = true;
    upload = new tus.Upload(file, {
      endpoint: d.endpoint,
      uploadUrl: resumeUrl,
      chunkSize: MIN_CHUNK,         // grows with the measured speed (chunkDone)
      retryDelays: RETRY_DELAYS,
      headers: {},
      metadata: { filename: file.name, filetype: file.type, duration: String(file.durationSeconds),
                  fingerprint: fp },
      storeFingerprintForResuming: false,   // the portal keeps it, not this browser
      onBeforeRequest(req) {
        // The CSRF token goes to the portal only, never to Stream.
        if (new URL(req.getURL(), location.href).origin === location.origin) req.setHeader("X-CSRFToken", csrf);
      },
      onAfterResponse(req, res) {
        const id = res.getHeader("X-Submission-Id");
        if (id) area.dataset.submissionId = id;
      },
      onShouldRetry(err, retryAttempt, options) {
        const status = err.originalResponse ? err.originalResponse.getStatus() : 0;
        // Retry network errors and server trouble; a refusal by the portal is final.
        const retry = status === 0 || status === 409 && err.originalRequest.getMethod() === "PATCH" ||
          status === 423 || status >= 500;
        if (retry && status !== 409 && status !== 423) notice(explain(err));
        return retry;
      },
      onError(err) {
        release();
        notice("");
        buttons("none");
        $("file").disabled = false;
        $("dropzone").hidden = false;
        let message = "The upload stopped: " + (err.message || err);
        const res = err.originalResponse;
        if (res && res.getBody()) {
          try { message = JSON.parse(res.getBody()).message || message; } catch (e) { /* not JSON */ }
        }
        refuse(message + " Pick the same file to continue where it stopped.");
      },
      onProgress: showProgress,
      onChunkComplete: chunkDone,
      onSuccess: succeeded,
    });
    go();
  }

  $("pause").addEventListener("click", () => {
    if (!running || stopping) return;
    buttons("none");                // neither, until the transfer has really stopped
    stopping = upload.abort().catch(() => {}).then(() => {
      release();
      stopping = null;
      if (finished) return;
      buttons("paused");
      $("progress-text").textContent += " · paused";
    });
  });
  $("resume").addEventListener("click", () => {
    if (stopping) return;           // still stopping: Resume is not offered until it has
    go();
  });
  $("file").addEventListener("change", (e) => { if (e.target.files[0]) start(e.target.files[0]); });
  const zone = $("dropzone");
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    if (e.dataTransfer.files[0]) start(e.dataTransfer.files[0]);
  });

  // How far the unfinished upload got, straight from Stream (the portal never sees the bytes).
  if (d.resumeUrl) {
    fetch(d.resumeUrl, { method: "HEAD", headers: { "Tus-Resumable": "1.0.0" } })
      .then((r) => {
        const offset = Number(r.headers.get("Upload-Offset"));
        $("resume-offset").textContent = r.ok
          ? human(offset) + " of " + human(Number(d.resumeSize)) + " (" +
            (100 * offset / Number(d.resumeSize)).toFixed(0) + "%) already at Stream."
          : "Stream no longer has it; start again.";
        $("resume-offset").dataset.offset = r.ok ? String(offset) : "";
      })
      .catch(() => { $("resume-offset").textContent = "Stream could not be reached to check."; });
  }
})();
