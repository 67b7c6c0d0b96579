// The requester page: a login link's key (after #, never sent to a server log), the "use my
// position" button, and the status view that updates itself.
(function () {
  "use strict";

  var key = document.getElementById("key");
  if (key && location.hash.indexOf("#key=") === 0) {
    key.value = decodeURIComponent(location.hash.slice(5));
    history.replaceState(null, "", location.pathname);
    document.getElementById("login").submit();
  }

  var position = document.getElementById("use-position");
  if (position && navigator.geolocation) {
    position.hidden = false;
    position.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (found) {
        document.querySelector("[name=latitude]").value = found.coords.latitude.toFixed(5);
        document.querySelector("[name=longitude]").value = found.coords.longitude.toFixed(5);
      });
    });
  }

  var live = document.getElementById("live");
  if (!live || live.dataset.final) { return; }
  var every = parseInt(live.dataset.every, 10) || 5000;
  var line = document.getElementById("line");
  var facts = document.getElementById("facts");
  var offline = document.getElementById("offline");

  function show(status) {
    line.textContent = status.line;
    line.className = "line state-" + status.state;
    while (facts.firstChild) { facts.removeChild(facts.firstChild); }
    status.facts.forEach(function (pair) {
      var dt = document.createElement("dt");
      var dd = document.createElement("dd");
      dt.textContent = pair[0];
      dd.textContent = pair[1];
      facts.appendChild(dt);
      facts.appendChild(dd);
    });
  }

  function poll() {
    fetch(live.dataset.poll, {credentials: "same-origin", cache: "no-store"})
      .then(function (response) {
        if (response.status === 401) { location.href = "/page/login"; return null; }
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (status) {
        if (!status) { return; }
        offline.hidden = true;
        show(status);
        if (!status.final) { setTimeout(poll, every); }
      })
      .catch(function () { offline.hidden = false; setTimeout(poll, every); });
  }

  setTimeout(poll, every);
}());
