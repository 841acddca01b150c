/* Error summaries (templates/claims/_form_errors.html): move focus to the first one when
   the page loads, so screen readers read the errors first; a link in it focuses its field
   and shows the field's label above it (a plain jump would hide the label off-screen).
   Without this script the summary is still first and its links still jump to the fields. */
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) {
    return;
  }
  summary.focus();
  // A form posted to "page#form" comes back scrolled to that spot; the browser's jump to
  // it can take focus away again, so take it back once, if nothing else has it.
  window.addEventListener("load", function () {
    if (document.activeElement === document.body) {
      summary.focus();
    }
  });
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) {
      return;
    }
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) {
      return;
    }
    event.preventDefault();
    var label = document.querySelector("label[for='" + field.id + "']");
    (label || field).scrollIntoView();
    field.focus({ preventScroll: true });
  });
})();
