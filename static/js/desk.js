// Desk pages: small progressive enhancements only (every page works without this script).
(function () {
  "use strict";

  // The calendar's zone switch: offer "My zone" as the browser's own IANA zone.
  function offerMyZone() {
    var option = document.querySelector("option[data-my-zone]");
    if (!option || typeof Intl === "undefined") return;
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone) return;
    var select = option.parentNode;
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i] !== option && select.options[i].value === zone) {
        select.options[i].textContent += " (my zone)";
        option.remove();
        return;
      }
    }
    option.value = zone;
    option.textContent = "My zone (" + zone + ")";
    option.hidden = false;
    option.disabled = false;
  }

  // A refused form: move focus to its message so keyboard and screen reader users land on it.
  function focusProblem() {
    var box = document.getElementById("problem");
    if (box) box.focus();
  }

  // The calendar subscription URL: selected whole on focus, ready to copy.
  function selectOnFocus() {
    document.querySelectorAll("[data-select-on-focus]").forEach(function (input) {
      input.addEventListener("focus", function () { input.select(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    offerMyZone();
    focusProblem();
    selectOnFocus();
  });
})();
