// Preselect (sign-up) or offer (profile) the browser's own timezone in a
// <select data-browser-timezone="preselect|offer">. A static file: the CSP allows no inline script.
(function () {
  "use strict";
  // Names some browsers still report, and the zone our list offers for them.
  var ALIASES = {
    "Asia/Calcutta": "Asia/Kolkata", "Asia/Saigon": "Asia/Ho_Chi_Minh",
    "Asia/Katmandu": "Asia/Kathmandu", "Asia/Rangoon": "Asia/Yangon",
    "Europe/Kiev": "Europe/Kyiv", "America/Godthab": "America/Nuuk",
    "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
    "America/Indianapolis": "America/Indiana/Indianapolis",
    "America/Louisville": "America/Kentucky/Louisville",
    "Atlantic/Faeroe": "Atlantic/Faroe", "Pacific/Truk": "Pacific/Chuuk",
    "Pacific/Ponape": "Pacific/Pohnpei", "Etc/UTC": "UTC", "Etc/GMT": "UTC", "GMT": "UTC"
  };

  function browserZone() {
    try {
      var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
      return ALIASES[zone] || zone;
    } catch (e) {
      return "";
    }
  }

  function offer(select, zone) {
    var label = select.querySelector('option[value="' + zone + '"]').textContent;
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-link p-0 align-baseline browser-zone";
    button.textContent = "Use your device's timezone (" + label + ")";
    button.addEventListener("click", function () {
      select.value = zone;
      button.remove();
    });
    var hint = document.createElement("div");
    hint.className = "form-text";
    hint.appendChild(button);
    select.insertAdjacentElement("afterend", hint);
  }

  document.querySelectorAll("select[data-browser-timezone]").forEach(function (select) {
    var zone = browserZone();
    var known = Array.prototype.some.call(select.options, function (o) { return o.value === zone; });
    if (!zone || !known || select.value === zone) return;
    if (select.dataset.browserTimezone === "preselect") {
      select.value = zone;
    } else {
      offer(select, zone);
    }
  });
})();
