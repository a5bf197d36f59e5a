// After htmx swaps in another week or month (static/js: the CSP allows no inline script),
// put the keyboard focus where the clicked control asked (`data-focus-after`): the swap
// removed the control itself, and focus would fall back to the top of the page.
// On afterSwap, not afterSettle: the swap and this run in one task, so no key the user
// presses can land in between; with a settle delay (base.html sets none: htmx gives new
// links their hx- behaviour only when it settles, and a day picked before that would load
// the whole page) afterSettle would pull the focus back from wherever a quick Shift+Tab
// had taken it. Once per request: the week and the month (swapped out of band) each fire
// the event.
document.addEventListener("htmx:afterSwap", function (event) {
  var config = event.detail.requestConfig;
  var source = config && config.elt;
  var selector = source && source.getAttribute && source.getAttribute("data-focus-after");
  if (!selector || config.focusMoved) return;
  var target = document.querySelector(selector);
  if (!target) return;
  config.focusMoved = true;
  target.focus();
});
