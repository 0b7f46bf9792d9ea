// Every page: when an htmx request never reaches the portal (network down), say so where the page
// announces things, instead of nothing happening. Page scripts that explain it better beside a form
// (grading.js) call preventDefault; this listener sits on window, so it runs after theirs.
(function () {
  "use strict";
  window.addEventListener("htmx:sendError", (event) => {
    if (event.defaultPrevented) return;
    const messages = document.getElementById("messages");
    if (!messages) return;
    const note = document.createElement("p");
    note.className = "flash flash-error";
    note.setAttribute("role", "alert");
    note.textContent = "The portal could not be reached, so nothing was changed. Check the connection, then try again.";
    messages.replaceChildren(note);
  });
})();
