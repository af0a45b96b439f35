// Filters for the kpiframe trends page: by latest status, and "changed recently". The page works without it.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var items = Array.prototype.slice.call(document.querySelectorAll("article.card, .summary tbody tr"));
  var buttons = document.querySelectorAll(".filters button");
  var recent = document.getElementById("recent");
  var shown = document.getElementById("shown");
  var empty = document.getElementById("empty");
  var wanted = "all";
  function apply() {
    var count = 0;
    items.forEach(function (item) {
      var show = (wanted === "all" || item.getAttribute("data-status") === wanted) &&
        (!recent.checked || item.getAttribute("data-recent") === "yes");
      item.hidden = !show;
      if (show && item.tagName === "ARTICLE") { count += 1; }
    });
    var total = document.querySelectorAll("article.card").length;
    shown.textContent = count === total ? "" : "showing " + count + " of " + total;
    empty.hidden = count !== 0;
  }
  Array.prototype.forEach.call(buttons, function (button) {
    button.addEventListener("click", function () {
      wanted = button.getAttribute("data-filter");
      Array.prototype.forEach.call(buttons, function (other) {
        other.setAttribute("aria-pressed", other === button ? "true" : "false");
      });
      apply();
    });
  });
  recent.addEventListener("change", apply);
})();
