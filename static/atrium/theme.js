// Applies the saved colour theme before the page paints (loaded in <head>, not deferred).
(function () {
  var theme = null;
  try { theme = localStorage.getItem("atrium-theme"); } catch (e) { /* storage blocked */ }
  if (theme !== "dark" && theme !== "light") {
    theme = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  document.documentElement.setAttribute("data-bs-theme", theme);
})();
