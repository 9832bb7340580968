// Experiment pages: pick runs to compare, filter the column chooser, draw plotly figures when seen.
(function () {
  function updateCompare() {
    var form = document.getElementById("compare-form");
    if (!form) return;
    var ticked = document.querySelectorAll("input[name=runs][form=compare-form]:checked");
    var button = document.getElementById("compare-button");
    var count = document.getElementById("compare-count");
    if (count) count.textContent = ticked.length;
    if (button) {
      button.disabled = ticked.length < 2;
      button.title = ticked.length < 2 ? "Tick two runs or more to compare them" : "Compare the ticked runs";
    }
    var all = document.querySelector("[data-select-all]");
    if (all) {
      var boxes = document.querySelectorAll("input[name=runs][form=compare-form]");
      all.checked = boxes.length > 0 && ticked.length === boxes.length;
      all.indeterminate = ticked.length > 0 && ticked.length < boxes.length;
    }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-select-all]")) {
      document.querySelectorAll("input[name=runs][form=compare-form]").forEach(function (box) {
        box.checked = target.checked;
      });
    }
    if (target.matches("[data-select-all], input[name=runs][form=compare-form]")) updateCompare();
  });

  document.addEventListener("input", function (event) {
    var search = event.target.closest("[data-column-search]");
    if (!search) return;
    var needle = search.value.trim().toLowerCase();
    var menu = search.closest(".column-chooser");
    menu.querySelectorAll("[data-column-key]").forEach(function (item) {
      item.style.display = !needle || item.dataset.columnKey.indexOf(needle) !== -1 ? "" : "none";
    });
  });

  // Plotly figures: <div class="plotly-figure" data-figure="<json_script id>">, drawn when scrolled into view.
  function draw(element) {
    if (element.dataset.drawn || typeof Plotly === "undefined") return;
    var source = document.getElementById(element.dataset.figure);
    if (!source) return;
    element.dataset.drawn = "1";
    var figure = JSON.parse(source.textContent);
    var layout = figure.layout || {};
    var dark = document.documentElement.getAttribute("data-bs-theme") === "dark";
    if (dark) {
      layout.font = Object.assign({}, layout.font || {}, {color: "#c8d3e1"});
    }
    Plotly.newPlot(element, figure.data, layout, {displayModeBar: false, responsive: true});
  }

  function drawAll(root) {
    var figures = (root || document).querySelectorAll(".plotly-figure");
    if (!("IntersectionObserver" in window)) {
      figures.forEach(draw);
      return;
    }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) {
          draw(entry.target);
          observer.unobserve(entry.target);
        }
      });
    }, {rootMargin: "200px"});
    figures.forEach(function (element) { observer.observe(element); });
  }

  // Only show rows of the diff table where the runs disagree.
  document.addEventListener("change", function (event) {
    if (!event.target.matches("[data-only-differences]")) return;
    var only = event.target.checked;
    document.querySelectorAll("#diff-table tr[data-differs]").forEach(function (row) {
      row.hidden = only && row.dataset.differs !== "1";
    });
  });

  function init(root) {
    updateCompare();
    drawAll(root);
    var only = document.querySelector("[data-only-differences]");
    if (only) only.dispatchEvent(new Event("change", {bubbles: true}));
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function (event) { init(event.target); });
})();
