// Small behaviours of the base layout: "/" focuses search, theme toggle, toasts fade out.
(function () {
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    var tag = target && target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable)) return;
    var search = document.getElementById("global-search");
    if (search) {
      event.preventDefault();
      search.focus();
      search.select();
    }
  });

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-atrium-theme]");
    if (!toggle) return;
    event.preventDefault();
    var theme = toggle.getAttribute("data-atrium-theme");
    document.documentElement.setAttribute("data-bs-theme", theme);
    try { localStorage.setItem("atrium-theme", theme); } catch (e) { /* storage blocked */ }
  });

  function fadeToasts(root) {
    (root || document).querySelectorAll(".toast[data-autohide='true']").forEach(function (toast) {
      window.setTimeout(function () { toast.classList.remove("show"); }, 6000);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { fadeToasts(document); });
  document.addEventListener("htmx:afterSwap", function (event) { fadeToasts(event.target); });
})();
