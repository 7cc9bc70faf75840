// Peerdesk's own small script. Everything works without it; it only adds conveniences.
(function () {
  "use strict";
  // Close the member menu when clicking elsewhere or pressing Escape.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.member-menu[open], details.phone-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.member-menu[open], details.phone-menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    });
  });
})();

// --- Security: posting limits ---------------------------------------------------------------
// htmx does not swap error responses; a 429 from a posting limit carries its reason as a small
// message (community.views._refuse), so show it where the answer would have gone.
document.addEventListener("htmx:beforeSwap", function (event) {
  if (event.detail.xhr && event.detail.xhr.status === 429) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// --- Time zones and dates (accounts/timezones.py words them the same way) ---------------------
// The browser's zone goes into the "tz" cookie so the next page is rendered in it, and into the
// profile of a member who has none yet. Times on this page are reworded in the shown zone (the
// member's choice, else the browser's) and relative ones ("5 minutes ago") kept fresh.
(function () {
  "use strict";
  var root = document.documentElement;
  var browserZone = "";
  try { browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return; }
  if (browserZone) {
    var current = (document.cookie.match(/(?:^|;\s*)tz=([^;]*)/) || [])[1];
    if (decodeURIComponent(current || "") !== browserZone) {
      document.cookie = "tz=" + browserZone.replace(/[^A-Za-z0-9_+\/-]/g, "") + "; path=/; max-age=31536000; SameSite=Lax" +
        (location.protocol === "https:" ? "; Secure" : "");
    }
    var saveUrl = document.body && document.body.dataset.tzSaveUrl;
    if (saveUrl && !sessionStorage.getItem("peerdesk:tz-saved")) {
      sessionStorage.setItem("peerdesk:tz-saved", "1");
      var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      var data = new FormData();
      data.append("tz", browserZone);
      fetch(saveUrl, { method: "POST", body: data, credentials: "same-origin", headers: headers }).catch(function () {});
    }
  }
  var zone = root.dataset.tzSource === "profile" ? root.dataset.tz : (browserZone || root.dataset.tz);
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function parts(date) {
    var out = {};
    new Intl.DateTimeFormat("en-GB", {
      timeZone: zone, year: "numeric", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    }).formatToParts(date).forEach(function (p) { out[p.type] = p.value; });
    return out;
  }
  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }
  function word(date, style) {
    var p = parts(date);
    var day = parseInt(p.day, 10) + " " + MONTHS[parseInt(p.month, 10) - 1] + " " + p.year;
    if (style === "date") return day;
    var absolute = day + ", " + p.hour + ":" + p.minute;
    if (style === "abs") return absolute;
    var seconds = (Date.now() - date.getTime()) / 1000;
    if (Math.abs(seconds) < 60) return "just now";
    if (seconds > 0 && seconds < 3600) return plural(Math.floor(seconds / 60), "minute") + " ago";
    if (seconds > 0 && seconds < 86400) return plural(Math.floor(seconds / 3600), "hour") + " ago";
    if (seconds < 0 && -seconds < 3600) return "in " + plural(Math.floor(-seconds / 60), "minute");
    if (seconds < 0 && -seconds < 86400) return "in " + plural(Math.floor(-seconds / 3600), "hour");
    return absolute;
  }
  function refresh() {
    document.querySelectorAll("time[data-when]").forEach(function (el) {
      var date = new Date(el.getAttribute("datetime"));
      if (isNaN(date.getTime())) return;
      try {
        var text = word(date, el.dataset.when);
        if (el.textContent !== text) el.textContent = text;
      } catch (e) { /* an unknown zone: keep the server's words */ }
    });
  }
  if (zone) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", refresh);
    else refresh();
    document.addEventListener("htmx:afterSettle", refresh);
    setInterval(refresh, 30000);
  }
})();
