// Shouwang's few behaviours, declared in the markup with data- attributes instead of inline
// handlers (the Content-Security-Policy runs no inline script):
//   <button data-busy>            shows a spinner on the button once its form is sent;
//   <button data-shows="ID">      unhides element ID once its form is sent ("reading…");
//   <select data-autosubmit>      sends its form when the choice changes;
//   <select data-follows-kind='{"kind": "value"}'>
//                                 takes the value named for the "kind" radio chosen in its
//                                 form, until the user picks one themselves;
//   a <select> of more than 15 options (units, caregivers, children) gets a filter box
//                                 before it (placeholder: <body data-filter-label>): typing
//                                 hides the options whose text does not hold what was typed
//                                 (the chosen one stays, nothing is chosen for the user);
//   <span data-countdown data-due="ISO time" data-left="{n} min left" data-past="…">
//                                 counts the minutes left down while the page is open.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!button || event.defaultPrevented) { return; }
    if (button.hasAttribute("data-busy")) { button.setAttribute("aria-busy", "true"); }
    var shown = button.getAttribute("data-shows");
    if (shown) {
      var el = document.getElementById(shown);
      if (el) { el.hidden = false; }
    }
  });

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.matches && el.matches("[data-autosubmit]") && el.form) {
      if (el.form.requestSubmit) { el.form.requestSubmit(); } else { el.form.submit(); }
    }
    if (el && el.matches && el.matches("[data-follows-kind]")) {
      el.setAttribute("data-chosen", "1");  // the user's choice stays
    }
    if (el && el.name === "kind" && el.form) {
      var follower = el.form.querySelector("[data-follows-kind]");
      if (follower && !follower.hasAttribute("data-chosen")) {
        var named = JSON.parse(follower.getAttribute("data-follows-kind"))[el.value];
        if (named) { follower.value = named; }
      }
    }
  });

  function countDown() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var left = Math.floor((new Date(el.getAttribute("data-due")) - new Date()) / 60000);
      if (left < 0) {
        el.textContent = el.getAttribute("data-past");
        el.classList.add("late");
      } else {
        el.textContent = el.getAttribute("data-left").replace("{n}", left);
      }
    });
  }
  if (document.querySelector("[data-countdown]")) { setInterval(countDown, 15000); }

  function searchable(select) {
    if (select.hasAttribute("data-search-ready")) { return; }
    select.setAttribute("data-search-ready", "1");
    var box = document.createElement("input");
    box.type = "search";
    box.className = "picker-filter";
    box.placeholder = document.body.getAttribute("data-filter-label") || "";
    box.setAttribute("aria-label", box.placeholder);
    select.parentNode.insertBefore(box, select);
    box.addEventListener("input", function () {
      var typed = box.value.trim().toLowerCase();
      // Hidden, never disabled, and the choice left as the user made it: a form always sends
      // what is chosen, and nothing is chosen for anyone.
      Array.prototype.forEach.call(select.options, function (option) {
        var shown = !typed || !option.value || option.selected ||
          option.text.toLowerCase().indexOf(typed) >= 0;
        option.hidden = !shown;
      });
    });
  }
  var SEARCHABLE_FROM = 15;
  function findSearchable(root) {
    (root || document).querySelectorAll("select:not([multiple])").forEach(function (select) {
      if (select.options.length > SEARCHABLE_FROM) { searchable(select); }
    });
  }
  findSearchable(document);
  document.addEventListener("htmx:afterSwap", function (event) { findSearchable(event.target); });
})();
