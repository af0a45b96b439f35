// Sorting and filtering for the kpiframe scorecard. The page works without it.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var main = document.getElementById("cards");
  var cards = Array.prototype.slice.call(main.querySelectorAll("article.card"));
  var buttons = document.querySelectorAll(".filters button");
  Array.prototype.forEach.call(buttons, function (button) {
    button.addEventListener("click", function () {
      var wanted = button.getAttribute("data-filter");
      Array.prototype.forEach.call(buttons, function (other) {
        other.setAttribute("aria-pressed", other === button ? "true" : "false");
      });
      cards.forEach(function (card) {
        card.hidden = !(wanted === "all" || card.getAttribute("data-status") === wanted);
      });
    });
  });
  var keys = {
    order: function (c) { return Number(c.getAttribute("data-order")); },
    severity: function (c) { return -Number(c.getAttribute("data-severity")); },
    title: function (c) { return c.getAttribute("data-title"); },
    change: function (c) { var v = c.getAttribute("data-change"); return v === "" ? Infinity : -Math.abs(Number(v)); }
  };
  document.getElementById("sort").addEventListener("change", function (event) {
    var key = keys[event.target.value] || keys.order;
    cards.slice().sort(function (a, b) {
      var x = key(a), y = key(b);
      return x < y ? -1 : x > y ? 1 : keys.order(a) - keys.order(b);
    }).forEach(function (card) { main.appendChild(card); });
  });
})();
