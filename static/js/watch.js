// The student's watch page: a comment's time seeks the Stream player above it and plays from there.
// Same postMessage protocol as the grading pane (static/js/grading.js): {event: "seek", time}, then
// {event: "play"}, sent only to the player's own origin.
(function () {
  "use strict";
  document.addEventListener("click", (event) => {
    const seek = event.target.closest("button.seek");
    const frame = document.getElementById("stream-player");
    if (!seek || !frame || !frame.contentWindow) return;
    const origin = new URL(frame.src).origin;
    frame.contentWindow.postMessage({ event: "seek", time: Number(seek.dataset.seconds) }, origin);
    frame.contentWindow.postMessage({ event: "play" }, origin);
    frame.scrollIntoView({ block: "nearest" });
  });
})();
