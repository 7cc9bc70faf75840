// The Markdown editor (templates/community/_editor.html): toolbar, images (button, paste,
// drop), drafts kept while typing, and field errors that update as the member fixes them.
// Everything here is an addition: without it the form posts as a plain form.
(function () {
  "use strict";

  var DRAFT_PREFIX = "peerdesk:draft:";
  var SUBMITTED_PREFIX = "peerdesk:submitted:";

  function csrfToken(form) {
    var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function changed(textarea) {
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // --- Toolbar ------------------------------------------------------------------------------
  function wrap(textarea, before, after, placeholder) {
    var start = textarea.selectionStart, end = textarea.selectionEnd;
    var value = textarea.value, chosen = value.slice(start, end) || placeholder;
    textarea.value = value.slice(0, start) + before + chosen + after + value.slice(end);
    textarea.focus();
    textarea.setSelectionRange(start + before.length, start + before.length + chosen.length);
    changed(textarea);
  }

  function prefixLines(textarea, prefix, placeholder) {
    var value = textarea.value;
    var start = value.lastIndexOf("\n", textarea.selectionStart - 1) + 1;
    var end = textarea.selectionEnd;
    var block = value.slice(start, end) || placeholder;
    var lines = block.split("\n").map(function (line) { return prefix + line; }).join("\n");
    textarea.value = value.slice(0, start) + lines + value.slice(end);
    textarea.focus();
    textarea.setSelectionRange(start + prefix.length, start + lines.length);
    changed(textarea);
  }

  function insertAtCursor(textarea, text) {
    var start = textarea.selectionStart, value = textarea.value;
    var needsBreak = start > 0 && value.charAt(start - 1) !== "\n";
    var insert = (needsBreak ? "\n" : "") + text + "\n";
    textarea.value = value.slice(0, start) + insert + value.slice(textarea.selectionEnd);
    textarea.setSelectionRange(start + insert.length, start + insert.length);
    return insert;
  }

  var ACTIONS = {
    bold: function (t) { wrap(t, "**", "**", "bold text"); },
    italic: function (t) { wrap(t, "_", "_", "italic text"); },
    code: function (t) {
      var selected = t.value.slice(t.selectionStart, t.selectionEnd);
      if (selected.indexOf("\n") >= 0) wrap(t, "```\n", "\n```", "");
      else wrap(t, "`", "`", "code");
    },
    link: function (t) {
      var start = t.selectionStart, end = t.selectionEnd;
      var label = t.value.slice(start, end) || "link text";
      var text = "[" + label + "](https://)";
      t.value = t.value.slice(0, start) + text + t.value.slice(end);
      t.focus();
      t.setSelectionRange(start + label.length + 3, start + text.length - 1);
      changed(t);
    },
    list: function (t) { prefixLines(t, "- ", "list item"); },
    quote: function (t) { prefixLines(t, "> ", "quoted text"); }
  };

  // --- Images -------------------------------------------------------------------------------
  function status(editor, message, isError) {
    var box = editor.querySelector(".editor-status");
    box.textContent = message;
    box.classList.toggle("is-error", !!isError);
    box.setAttribute("role", isError ? "alert" : "status");
  }

  function upload(editor, textarea, file) {
    if (!file) return;
    var name = (file.name || "screenshot.png").replace(/[\[\]()\n]/g, "");
    var placeholder = "![Uploading " + name + "…]()";
    textarea.focus();
    insertAtCursor(textarea, placeholder);
    changed(textarea);
    status(editor, "Uploading " + name + "…", false);
    var data = new FormData();
    data.append("image", file, file.name || "screenshot.png");
    fetch(editor.dataset.uploadUrl, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(textarea.form), "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return { error: "The upload failed (" + response.status + "). Try again." }; })
        .then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      if (result.ok && result.body.markdown) {
        textarea.value = textarea.value.replace(placeholder, result.body.markdown);
        status(editor, "Image added." + (result.body.notice ? " " + result.body.notice : ""), false);
      } else {
        textarea.value = textarea.value.replace(placeholder + "\n", "").replace(placeholder, "");
        status(editor, result.body.error || "The upload failed. Try again.", true);
      }
      changed(textarea);
    }).catch(function () {
      textarea.value = textarea.value.replace(placeholder + "\n", "").replace(placeholder, "");
      status(editor, "The upload failed: check your connection and try again.", true);
      changed(textarea);
    });
  }

  function imageFiles(list) {
    return Array.prototype.filter.call(list || [], function (file) { return /^image\//.test(file.type) || !file.type; });
  }

  // --- Drafts -------------------------------------------------------------------------------
  // Kept in localStorage per form (its action path) while typing, restored after a reload or a
  // failed post, dropped once the post went through (the page moved on) or on sign-out.
  function draftKey(form) { return DRAFT_PREFIX + new URL(form.action, location.href).pathname; }

  function draftFields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && el.type === "text"));
    });
  }

  function saveDraft(form) {
    var values = {}, any = false;
    draftFields(form).forEach(function (el) { values[el.name] = el.value; if (el.value.trim()) any = true; });
    try {
      if (any) localStorage.setItem(draftKey(form), JSON.stringify({ values: values, at: Date.now() }));
      else localStorage.removeItem(draftKey(form));
    } catch (e) { /* storage full or off: drafts are a convenience */ }
  }

  function settleSubmittedDrafts() {
    // A post that went through lands on another page (or the new answer's anchor); a refused one
    // comes back to the same form with its errors, so its draft stays.
    var here = location.pathname;
    for (var i = sessionStorage.length - 1; i >= 0; i--) {
      var key = sessionStorage.key(i);
      if (!key || key.indexOf(SUBMITTED_PREFIX) !== 0) continue;
      var action = key.slice(SUBMITTED_PREFIX.length);
      var sameForm = Array.prototype.some.call(document.querySelectorAll("form[data-draft]"), function (form) {
        return new URL(form.action, location.href).pathname === action;
      });
      var posted = here !== action && (!sameForm || /^#answer-\d+$/.test(location.hash));
      if (posted) { try { localStorage.removeItem(DRAFT_PREFIX + action); } catch (e) {} }
      sessionStorage.removeItem(key);
    }
  }

  function restoreDraft(form, editor) {
    var stored;
    try { stored = JSON.parse(localStorage.getItem(draftKey(form)) || "null"); } catch (e) { stored = null; }
    if (!stored || !stored.values) return;
    var fields = draftFields(form);
    var restored = false;
    // A refused post comes back holding what was typed (the same as the draft): nothing to do.
    fields.forEach(function (el) {
      if (typeof stored.values[el.name] === "string" && stored.values[el.name] !== el.value) {
        el.value = stored.values[el.name];
        restored = true;
      }
    });
    if (!restored) return;
    // A draft inside a folded section (the asker's own answer) unfolds it, so it is seen.
    var fold = form.closest("details");
    if (fold) fold.open = true;
    var body = form.querySelector("textarea[name=body]");
    if (body) changed(body);
    status(editor, "We restored your unsent draft.", false);
    var box = editor.querySelector(".editor-status");
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "link-button";
    discard.textContent = "Discard draft";
    discard.addEventListener("click", function () {
      fields.forEach(function (el) { el.value = el.defaultValue; });
      try { localStorage.removeItem(draftKey(form)); } catch (e) {}
      if (body) changed(body);
      status(editor, "Draft discarded.", false);
    });
    box.appendChild(document.createTextNode(" "));
    box.appendChild(discard);
  }

  // --- Field errors that follow the member's fixes -------------------------------------------
  function showErrors(field, errors) {
    var box = document.getElementById(field.name + "-errors");
    if (!box) return;
    box.textContent = "";
    if (errors.length) {
      var list = document.createElement("ul");
      list.className = "errorlist";
      errors.forEach(function (message) {
        var item = document.createElement("li");
        item.textContent = message;
        list.appendChild(item);
      });
      box.appendChild(list);
      field.setAttribute("aria-invalid", "true");
    } else {
      field.removeAttribute("aria-invalid");
    }
  }

  function checkField(form, field, url) {
    var data = new FormData(form);
    data.set("field", field.name);
    data.set("form", field.dataset.validate);
    fetch(url, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(form), "Accept": "application/json" }
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (result) { if (result && result.field === field.name) showErrors(field, result.errors || []); })
      .catch(function () {});
  }

  function liveChecks(form, url) {
    Array.prototype.forEach.call(form.querySelectorAll("[data-validate]"), function (field) {
      var timer = null, touched = field.getAttribute("aria-invalid") === "true";
      function soon() { clearTimeout(timer); timer = setTimeout(function () { checkField(form, field, url); }, 350); }
      field.addEventListener("blur", function () { if (field.value.trim() || touched) { touched = true; soon(); } });
      field.addEventListener("input", function () { if (touched) soon(); });
      field.addEventListener("change", function () { if (field.tagName === "SELECT") { touched = true; soon(); } });
    });
  }

  // --- Wiring -------------------------------------------------------------------------------
  function setUp(editor) {
    var textarea = editor.querySelector("textarea");
    var form = textarea.form;
    var toolbar = editor.querySelector(".editor-toolbar");
    var fileInput = editor.querySelector(".editor-file");
    toolbar.hidden = false;
    toolbar.addEventListener("click", function (event) {
      var button = event.target.closest("[data-md]");
      if (!button) return;
      if (button.dataset.md === "image") fileInput.click();
      else ACTIONS[button.dataset.md](textarea);
    });
    // Arrow keys move between the toolbar's buttons (the ARIA toolbar pattern).
    toolbar.addEventListener("keydown", function (event) {
      if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
      var buttons = Array.prototype.slice.call(toolbar.querySelectorAll("button"));
      var index = buttons.indexOf(document.activeElement);
      if (index < 0) return;
      event.preventDefault();
      var next = (index + (event.key === "ArrowRight" ? 1 : buttons.length - 1)) % buttons.length;
      buttons[next].focus();
    });
    fileInput.addEventListener("change", function () {
      imageFiles(fileInput.files).forEach(function (file) { upload(editor, textarea, file); });
      fileInput.value = "";
    });
    textarea.addEventListener("keydown", function (event) {
      if (!(event.ctrlKey || event.metaKey)) return;
      var action = { b: "bold", i: "italic", k: "link" }[event.key.toLowerCase()];
      if (action) { event.preventDefault(); ACTIONS[action](textarea); }
    });
    textarea.addEventListener("paste", function (event) {
      var files = imageFiles(event.clipboardData && event.clipboardData.files);
      if (!files.length) return;
      event.preventDefault();
      files.forEach(function (file) { upload(editor, textarea, file); });
    });
    textarea.addEventListener("dragover", function (event) {
      if (event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") >= 0) {
        event.preventDefault();
        editor.classList.add("is-dropping");
      }
    });
    textarea.addEventListener("dragleave", function () { editor.classList.remove("is-dropping"); });
    textarea.addEventListener("drop", function (event) {
      editor.classList.remove("is-dropping");
      var files = imageFiles(event.dataTransfer && event.dataTransfer.files);
      if (!files.length) return;
      event.preventDefault();
      files.forEach(function (file) { upload(editor, textarea, file); });
    });
    if (form && !form.dataset.draft) {
      form.dataset.draft = "1";
      var timer = null;
      form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(function () { saveDraft(form); }, 300); });
      form.addEventListener("submit", function () {
        saveDraft(form);
        sessionStorage.setItem(SUBMITTED_PREFIX + new URL(form.action, location.href).pathname, "1");
      });
      if (editor.dataset.validateUrl) liveChecks(form, editor.dataset.validateUrl);
    }
    return form;
  }

  function start() {
    var editors = document.querySelectorAll("[data-editor]");
    var forms = [];
    Array.prototype.forEach.call(editors, function (editor) { forms.push([setUp(editor), editor]); });
    settleSubmittedDrafts();
    forms.forEach(function (pair) { if (pair[0]) restoreDraft(pair[0], pair[1]); });
    // Signing out clears every draft: a shared computer must not keep them.
    document.addEventListener("submit", function (event) {
      if (!/\/accounts\/logout\//.test(event.target.action || "")) return;
      try {
        for (var i = localStorage.length - 1; i >= 0; i--) {
          var key = localStorage.key(i);
          if (key && key.indexOf(DRAFT_PREFIX) === 0) localStorage.removeItem(key);
        }
      } catch (e) {}
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
