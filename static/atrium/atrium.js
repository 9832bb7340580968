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

  // The MLflow client prints links into its own UI ("View run at <tracking URI>/#/experiments/5/
  // runs/<run id>"). The fragment never reaches the server, so the home page forwards such a link
  // to Atrium's page for the run, the experiment or the registered model; signed out, the link
  // lands on the sign-in page (browsers keep the fragment across the redirect), which then
  // signs in to that page rather than to the home page.
  function mlflowLinkTarget(hash) {
    var run = hash.match(/^#\/experiments\/\d+\/runs\/([0-9a-f]{32})/);
    var experiment = hash.match(/^#\/experiments\/(\d+)\/?$/);
    var model = hash.match(/^#\/models\/([^/?]+)/);
    if (run) return "/experiments/runs/" + run[1] + "/";
    if (experiment) return "/experiments/" + experiment[1] + "/";
    if (model) return "/models/?q=" + encodeURIComponent(decodeURIComponent(model[1]));
    return null;
  }
  function forwardMlflowLink() {
    var target = mlflowLinkTarget(window.location.hash);
    if (!target) return;
    if (window.location.pathname === "/") {
      window.location.replace(target);
      return;
    }
    var next = document.querySelector("form input[name=next]");
    if (next && (next.value === "" || next.value === "/")) next.value = target;
  }
  document.addEventListener("DOMContentLoaded", forwardMlflowLink);
  window.addEventListener("hashchange", forwardMlflowLink);
})();
