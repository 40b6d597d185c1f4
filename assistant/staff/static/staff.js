// Staff console: a transcript that is waiting for staff reloads itself when the patient writes.
(function () {
  "use strict";
  var log = document.getElementById("transcript");
  if (!log || log.dataset.live !== "1") return;
  var known = Number(log.dataset.turns);
  var url = "/api/conversations/" + encodeURIComponent(log.dataset.sender) + "/turns";
  function typing() {
    var active = document.activeElement;
    return active && active.tagName === "TEXTAREA" && active.value.trim() !== "";
  }
  setInterval(function () {
    if (typing()) return; // never throw away a reply being written
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && (data.turns !== known || !data.paused)) location.reload();
      })
      .catch(function () { /* offline for a moment: try again next tick */ });
  }, 3000);
})();
