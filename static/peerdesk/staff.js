// Staff pages: bulk selection in the queue and saved replies on the ticket page. The pages
// work without it (the bulk form posts the ticked boxes; saved replies can be copied by hand).
(function () {
  "use strict";

  // --- Queue: bulk selection -----------------------------------------------------------------
  function selected() {
    return document.querySelectorAll(".queue-select:checked");
  }

  function refreshBulk() {
    var form = document.getElementById("bulk-form");
    if (!form) return;
    var count = selected().length;
    var label = form.querySelector("[data-bulk-count]");
    if (label) label.textContent = count ? count + " ticket" + (count === 1 ? "" : "s") + " selected" : "No tickets selected";
    var action = form.querySelector("[data-bulk-action]").value;
    form.querySelectorAll("[data-bulk-for]").forEach(function (field) {
      field.hidden = field.getAttribute("data-bulk-for") !== action;
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-select-all]")) {
      document.querySelectorAll(".queue-select").forEach(function (box) { box.checked = target.checked; });
    }
    if (target.matches(".queue-select, [data-select-all], [data-bulk-action]")) refreshBulk();
  });

  // The queue redraws itself every 20 seconds; not while tickets are ticked, or the ticks
  // would be lost.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var source = event.detail.elt;
    if (source && source.id === "queue" && selected().length) event.preventDefault();
  });
  document.addEventListener("htmx:afterSwap", refreshBulk);
  document.addEventListener("DOMContentLoaded", refreshBulk);

  // --- Ticket: saved replies -----------------------------------------------------------------
  // A saved reply's button inserts its text (filled for this ticket on the server) into the
  // answer or the note box at the cursor, and notes which reply was used.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-macro-insert]");
    if (!button) return;
    event.preventDefault();
    var form = document.getElementById(button.getAttribute("data-macro-insert"));
    var source = document.getElementById("macro-text-" + button.getAttribute("data-macro"));
    if (!form || !source) return;
    var box = form.querySelector("textarea");
    var text = source.content ? source.content.textContent : source.textContent;
    text = text.replace(/^\n/, "");
    var start = box.selectionStart || 0;
    var end = box.selectionEnd || 0;
    var before = box.value.slice(0, start);
    var after = box.value.slice(end);
    box.value = before + text + after;
    box.focus();
    box.selectionStart = box.selectionEnd = before.length + text.length;
    var used = form.querySelector("input[name=macro]");
    if (used) used.value = button.getAttribute("data-macro");
    box.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();
