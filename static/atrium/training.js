// The "Train a model" form: show the fields that apply (search values, hold-out or folds, a new
// experiment's name and team) and tick all or no feature columns. Everything still posts without it.
(function () {
  "use strict";

  function toggle(selector, visible) {
    document.querySelectorAll(selector).forEach(function (element) {
      element.classList.toggle("d-none", !visible);
    });
  }

  function refresh() {
    var form = document.getElementById("training-form");
    if (!form) return;
    var search = form.querySelector("#id_search_method");
    toggle("#training-form .search-only", Boolean(search && search.value));
    var method = form.querySelector("#id_validation_method");
    var kfold = method && method.value === "kfold";
    toggle("#training-form .validation-kfold", kfold);
    toggle("#training-form .validation-holdout", !kfold);
    var experiment = form.querySelector("#id_experiment");
    toggle("#training-form .new-experiment", Boolean(experiment && experiment.value === "new"));
  }

  document.addEventListener("change", function (event) {
    if (event.target.closest && event.target.closest("#training-form")) refresh();
  });
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-check-features]");
    if (!link) return;
    event.preventDefault();
    var checked = link.getAttribute("data-check-features") === "all";
    document.querySelectorAll("#feature-list input[type=checkbox]").forEach(function (box) {
      box.checked = checked;
    });
  });
  document.addEventListener("htmx:afterSwap", refresh);
  document.addEventListener("DOMContentLoaded", refresh);
})();
