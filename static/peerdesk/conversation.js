// Comments: a character counter and @mention suggestions (htmx fetches the list; no framework).
// Everything works without this script: the server bounds the length and links mentions.
(function () {
  "use strict";
  var MENTION_BEFORE_CARET = /(^|[^\w@\/.+-])@([A-Za-z0-9_.+-]{1,30})$/;
  var timer = null;

  function isMentionArea(el) {
    return el && el.matches && el.matches("textarea[data-mention-url]");
  }

  function updateCounter(area) {
    var out = document.getElementById(area.getAttribute("data-counter") || "");
    if (!out) return;
    var max = parseInt(area.getAttribute("maxlength") || "600", 10);
    var left = max - area.value.length;
    out.textContent = left + " character" + (left === 1 ? "" : "s") + " left";
    out.classList.toggle("is-low", left < 50);
  }

  function mentionAtCaret(area) {
    var before = area.value.slice(0, area.selectionStart);
    var found = MENTION_BEFORE_CARET.exec(before);
    return found ? { word: found[2], start: before.length - found[2].length - 1 } : null;
  }

  function boxOf(area) {
    return document.getElementById(area.getAttribute("data-mention-box") || "");
  }

  function optionsOf(area) {
    var box = boxOf(area);
    return box ? Array.prototype.slice.call(box.querySelectorAll('[role="option"]')) : [];
  }

  function close(area) {
    var box = boxOf(area);
    if (box) box.innerHTML = "";
    area.removeAttribute("aria-activedescendant");
  }

  function selectedIndex(area) {
    var options = optionsOf(area);
    for (var i = 0; i < options.length; i++) {
      if (options[i].getAttribute("aria-selected") === "true") return i;
    }
    return -1;
  }

  function select(area, index) {
    var options = optionsOf(area);
    if (!options.length) return;
    index = (index + options.length) % options.length;
    options.forEach(function (option, i) {
      option.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    area.setAttribute("aria-activedescendant", options[index].id);
  }

  function choose(area, option) {
    var found = mentionAtCaret(area);
    if (!found || !option) { close(area); return; }
    var name = option.getAttribute("data-username");
    var end = area.selectionStart;
    area.value = area.value.slice(0, found.start) + "@" + name + " " + area.value.slice(end);
    var caret = found.start + name.length + 2;
    area.focus();
    area.setSelectionRange(caret, caret);
    close(area);
    updateCounter(area);
  }

  document.addEventListener("input", function (event) {
    var area = event.target;
    if (!isMentionArea(area)) return;
    updateCounter(area);
    var found = mentionAtCaret(area);
    clearTimeout(timer);
    if (!found) { close(area); return; }
    timer = setTimeout(function () {
      var url = area.getAttribute("data-mention-url") + "?q=" + encodeURIComponent(found.word) +
        "&target=" + encodeURIComponent(area.id);
      htmx.ajax("GET", url, { target: boxOf(area), swap: "innerHTML" });
    }, 200);
  });

  document.addEventListener("keydown", function (event) {
    var area = event.target;
    if (!isMentionArea(area) || !optionsOf(area).length) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      select(area, selectedIndex(area) + (event.key === "ArrowDown" ? 1 : -1));
    } else if (event.key === "Enter" || event.key === "Tab") {
      event.preventDefault();
      choose(area, optionsOf(area)[Math.max(0, selectedIndex(area))]);
    } else if (event.key === "Escape") {
      event.preventDefault();
      close(area);
    }
  });

  // mousedown, not click: the textarea keeps its caret (and focus) while a name is picked.
  document.addEventListener("mousedown", function (event) {
    var option = event.target.closest && event.target.closest('.mention-box [role="option"]');
    if (!option) return;
    event.preventDefault();
    var box = option.closest(".mention-box");
    var area = document.querySelector('textarea[data-mention-box="' + box.id + '"]');
    if (area) choose(area, option);
  });

  document.addEventListener("htmx:afterSettle", function () {
    document.querySelectorAll("textarea[data-counter]").forEach(function (area) {
      if (area.value) updateCounter(area);
    });
  });

  // A comment form fetched by "Add a comment" arrives with autofocus on its box: focus it
  // once (a page load's autofocus is the browser's; a swapped-in one is ours).
  document.addEventListener("htmx:afterSettle", function () {
    var area = document.querySelector(".comments textarea[autofocus]");
    if (area) {
      area.removeAttribute("autofocus");
      // After htmx has finished restoring the focus of the swapped-out link.
      setTimeout(function () { area.focus(); }, 0);
    }
  });

  // The flag box a comment's Flag link fetched (community/_comment.html) takes the focus: its
  // first reason, or the note saying the member flagged it already.
  document.addEventListener("htmx:afterSettle", function (event) {
    var link = event.detail && event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!link || !link.hasAttribute || !link.hasAttribute("data-flag-comment")) return;
    var box = document.getElementById("flag-comment-" + link.getAttribute("data-flag-comment"));
    var first = box && box.querySelector('input[type="radio"], .flag-done');
    if (!first) return;
    if (first.classList.contains("flag-done")) first.setAttribute("tabindex", "-1");
    first.focus();
  });

  // A comment box opened by its "Add a comment" summary gets the focus.
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (details.classList && details.classList.contains("comment-compose") && details.open) {
      var area = details.querySelector("textarea");
      if (area) area.focus();
    }
  }, true);
})();

// Live thread pages: a tab in the background does not poll (community/_live.html); when it comes
// back into view it checks at once instead of waiting for the next tick.
document.addEventListener("htmx:beforeRequest", function (event) {
  if (document.hidden && event.detail.elt && event.detail.elt.id === "live-updates") {
    event.preventDefault();
  }
});
document.addEventListener("visibilitychange", function () {
  var live = document.getElementById("live-updates");
  if (!document.hidden && live && window.htmx) htmx.trigger(live, "live:check");
});
