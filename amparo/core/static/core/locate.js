/* "Use my location": fills the search form's lat/lon from the phone's position, only when asked.
   The position goes to this server in the query string, is used for ordering, and is never stored. The URL does
   stay in the phone's history, so it carries a rough position only: two decimals, about 1 km. */
(function () {
  "use strict";
  var button = document.getElementById("use-location");
  var form = button && button.form;
  if (!button || !form || !navigator.geolocation) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.elements.lat.value = pos.coords.latitude.toFixed(2);
      form.elements.lon.value = pos.coords.longitude.toFixed(2);
      form.elements.place.value = "";
      form.submit();
    }, function () { button.disabled = false; }, {maximumAge: 600000, timeout: 15000});
  });
}());
