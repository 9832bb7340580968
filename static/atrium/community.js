// Discussions: the editor's Write/Preview tabs, @/# autocomplete, and "Reply" to a post.
(function () {
  "use strict";

  function editorOf(element) { return element.closest("[data-editor]"); }

  // --- Write / Preview --------------------------------------------------------------------------
  document.addEventListener("click", function (event) {
    var tab = event.target.closest("[data-editor-tab]");
    if (!tab) return;
    var editor = editorOf(tab);
    var preview = tab.getAttribute("data-editor-tab") === "preview";
    editor.querySelectorAll("[data-editor-tab]").forEach(function (other) {
      other.classList.toggle("active", other === tab);
    });
    editor.querySelector("[data-editor-write]").hidden = preview;
    editor.querySelector("[data-editor-preview]").hidden = !preview;
    if (!preview) editor.querySelector("textarea").focus();
  });

  // --- Autocomplete: the word before the caret, when it starts with @ or # ----------------------
  var TOKEN = /(^|[\s(\[{,;])([@#][A-Za-z0-9_.+\-\/]*)$/;
  var timer = null;

  function currentToken(textarea) {
    var before = textarea.value.slice(0, textarea.selectionStart);
    var match = TOKEN.exec(before);
    return match ? { text: match[2], start: before.length - match[2].length } : null;
  }

  function menuOf(textarea) {
    var editor = editorOf(textarea);
    return editor && editor.querySelector(".mention-suggestions");
  }

  function closeMenu(menu) {
    if (!menu) return;
    menu.classList.remove("show");
    menu.innerHTML = "";
  }

  function choose(textarea, insert) {
    var token = currentToken(textarea);
    if (!token) return;
    var end = textarea.selectionStart;
    textarea.value = textarea.value.slice(0, token.start) + insert + " " + textarea.value.slice(end);
    var caret = token.start + insert.length + 1;
    textarea.setSelectionRange(caret, caret);
    textarea.focus();
    closeMenu(menuOf(textarea));
  }

  function suggest(textarea) {
    var menu = menuOf(textarea);
    var token = currentToken(textarea);
    if (!menu || !token || token.text.length < 2) { closeMenu(menu); return; }
    var url = menu.getAttribute("data-autocomplete-url") + "?q=" + encodeURIComponent(token.text);
    htmx.ajax("GET", url, { target: menu, swap: "innerHTML", source: textarea }).then(function () {
      menu.classList.toggle("show", menu.children.length > 0);
    });
  }

  document.addEventListener("input", function (event) {
    var textarea = event.target;
    if (!(textarea instanceof HTMLTextAreaElement) || !editorOf(textarea)) return;
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { suggest(textarea); }, 180);
  });

  document.addEventListener("keydown", function (event) {
    var textarea = event.target;
    if (!(textarea instanceof HTMLTextAreaElement)) return;
    var menu = menuOf(textarea);
    if (!menu || !menu.classList.contains("show")) return;
    var items = Array.prototype.slice.call(menu.querySelectorAll("[data-insert]"));
    if (!items.length) return;
    var index = items.findIndex(function (item) { return item.classList.contains("active"); });
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var next = (index + (event.key === "ArrowDown" ? 1 : -1) + items.length) % items.length;
      items.forEach(function (item, i) { item.classList.toggle("active", i === next); });
    } else if (event.key === "Enter" || event.key === "Tab") {
      event.preventDefault();
      choose(textarea, items[Math.max(index, 0)].getAttribute("data-insert"));
    } else if (event.key === "Escape") {
      closeMenu(menu);
    }
  });

  document.addEventListener("mousedown", function (event) {
    var item = event.target.closest(".mention-suggestions [data-insert]");
    if (!item) return;
    event.preventDefault(); // keep the textarea's caret
    choose(editorOf(item).querySelector("textarea"), item.getAttribute("data-insert"));
  });

  document.addEventListener("focusout", function (event) {
    if (event.target instanceof HTMLTextAreaElement) {
      var menu = menuOf(event.target);
      window.setTimeout(function () { closeMenu(menu); }, 150);
    }
  });

  // --- Reply to a post --------------------------------------------------------------------------
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-reply-to]");
    var cancel = event.target.closest("[data-reply-cancel]");
    var form = document.getElementById("reply-form");
    if (!form || (!button && !cancel)) return;
    var banner = document.getElementById("replying-to");
    form.querySelector("input[name=reply_to]").value = button ? button.getAttribute("data-reply-to") : "";
    banner.classList.toggle("d-none", !button);
    if (button) {
      banner.querySelector("[data-replying-name]").textContent = button.getAttribute("data-reply-name");
      var textarea = form.querySelector("textarea");
      textarea.focus();
      textarea.scrollIntoView({ block: "center" });
    }
  });
})();
