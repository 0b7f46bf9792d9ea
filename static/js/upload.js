// The student's upload: pre-flight checks, tus straight to Stream, progress, pause/resume,
// resume after anything (the portal keeps the upload URL and the file's fingerprint).
(function () {
  "use strict";
  const area = document.getElementById("upload");
  if (!area) return;
  const $ = (id) => document.getElementById(id);
  const d = area.dataset;
  const csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
  const chunkSize = Number(d.chunkSize);
  let upload = null, wakeLock = null, uploading = false;
  let samples = [];   // [time ms, bytes] for speed over the last few seconds

  function human(bytes) {      // as Moodle shows sizes (and human_size on the server): 1024-based
    const units = ["bytes", "KB", "MB", "GB"];
    let i = 0;
    while (bytes >= 1024 && i < units.length - 1) { bytes /= 1024; i++; }
    return i ? bytes.toFixed(1).replace(/\.0$/, "") + " " + units[i] : bytes.toFixed(0) + " bytes";
  }
  function duration(seconds) {
    if (!isFinite(seconds)) return "—";
    const m = Math.floor(seconds / 60), s = Math.round(seconds % 60);
    return m >= 60 ? Math.floor(m / 60) + " h " + (m % 60) + " min" : m + " min " + s + " s";
  }
  function refuse(message) {
    const box = $("preflight");
    box.textContent = message;
    box.hidden = false;
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
  // after a browser restart or on another device, and a different file is not.
  async function fingerprint(file) {
    const head = await file.slice(0, Math.min(chunkSize, file.size)).arrayBuffer();
    const tail = await file.slice(Math.max(0, file.size - chunkSize)).arrayBuffer();
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
      return "“" + file.name + "” is not an accepted video type (" + accepted.join(", ") +
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
    samples.push([now, sent]);
    while (samples.length > 2 && now - samples[0][0] > 8000) samples.shift();
    const [t0, b0] = samples[0];
    const speed = now > t0 ? (sent - b0) / ((now - t0) / 1000) : 0;
    const pct = total ? (sent / total) * 100 : 0;
    $("bar").value = pct;
    $("progress-text").textContent = pct.toFixed(1) + "% · " + human(sent) + " of " + human(total) +
      (speed > 0 ? " · " + human(speed) + "/s · about " + duration((total - sent) / speed) + " left" : "");
  }

  async function keepAwake() {
    try { if ("wakeLock" in navigator) wakeLock = await navigator.wakeLock.request("screen"); } catch (e) { /* not allowed: fine */ }
  }
  function release() {
    uploading = false;
    if (wakeLock) { wakeLock.release().catch(() => {}); wakeLock = null; }
  }
  window.addEventListener("beforeunload", (event) => {
    if (uploading) { event.preventDefault(); event.returnValue = ""; }
  });
  document.addEventListener("visibilitychange", () => {
    if (uploading && document.visibilityState === "visible") keepAwake();
  });

  async function start(file) {
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
    samples = [];
    $("progress").hidden = false;
    $("file").disabled = true;
    upload = new tus.Upload(file, {
      endpoint: d.endpoint,
      uploadUrl: resumeUrl,
      chunkSize: chunkSize,
      retryDelays: [0, 1000, 3000, 5000, 10000, 20000, 30000, 60000],
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
        return status === 0 || status === 409 && err.originalRequest.getMethod() === "PATCH" ||
          status === 423 || status >= 500;
      },
      onError(err) {
        release();
        $("file").disabled = false;
        let message = "The upload stopped: " + (err.message || err);
        const res = err.originalResponse;
        if (res && res.getBody()) {
          try { message = JSON.parse(res.getBody()).message || message; } catch (e) { /* not JSON */ }
        }
        refuse(message + " Pick the same file to continue where it stopped.");
      },
      onProgress: showProgress,
      onSuccess() {
        release();
        $("progress").hidden = true;
        $("upload-done").hidden = false;
        const id = area.dataset.submissionId || d.resumeId;
        if (id && window.htmx) {
          const url = d.statusUrl.replace(/\/0\/status$/, "/" + id + "/status");
          htmx.ajax("GET", url, { target: "#upload-done", swap: "afterend" });
        }
      },
    });
    uploading = true;
    keepAwake();
    upload.start();
  }

  $("pause").addEventListener("click", () => {
    if (!upload) return;
    upload.abort();
    release();
    $("pause").hidden = true;
    $("resume").hidden = false;
    $("progress-text").textContent += " · paused";
  });
  $("resume").addEventListener("click", () => {
    if (!upload) return;
    samples = [];
    uploading = true;
    keepAwake();
    upload.start();
    $("pause").hidden = false;
    $("resume").hidden = true;
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
