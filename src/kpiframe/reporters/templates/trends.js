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
  var keys = {
    order: function (e) { return Number(e.getAttribute("data-order")); },
    severity: function (e) { return -Number(e.getAttribute("data-severity")); },
    changes: function (e) { return -Number(e.getAttribute("data-changes")); },
    change: function (e) { var v = e.getAttribute("data-change"); return v === "" ? Infinity : -Number(v); }
  };
  document.getElementById("sort").addEventListener("change", function (event) {
    var key = keys[event.target.value] || keys.order;
    [document.getElementById("cards"), document.querySelector(".summary tbody")].forEach(function (parent) {
      Array.prototype.slice.call(parent.children).sort(function (a, b) {
        var x = key(a), y = key(b);
        return x < y ? -1 : x > y ? 1 : keys.order(a) - keys.order(b);
      }).forEach(function (item) { parent.appendChild(item); });
    });
  });
})();
