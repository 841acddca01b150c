/* The admin's autocomplete boxes (select2) draw a combobox of their own beside the hidden
   <select>, without a name; in a tabular inline there is no label either. Give each one the
   name of its <select> (its label, or the aria-label the inline formset sets, "Source,
   row 2"), on page load and for every row added with "Add another". */
(function () {
  "use strict";
  function nameOf(select) {
    if (select.getAttribute("aria-label")) {
      return select.getAttribute("aria-label");
    }
    var label = select.id && document.querySelector("label[for='" + select.id + "']");
    return label ? label.textContent.replace(/:\s*$/, "").trim() : "";
  }
  function nameComboboxes() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var container = select.nextElementSibling;
      var name = nameOf(select);
      if (!container || !name) {
        return;
      }
      // The box, and the read-only text inside it that shows the choice (empty at first).
      container.querySelectorAll("[role='combobox'], [role='textbox']").forEach(function (box) {
        if (!box.getAttribute("aria-label")) {
          box.setAttribute("aria-label", name);
        }
      });
    });
  }
  // select2 draws its boxes after jQuery's ready, and again for each row added with "Add
  // another": name them whenever new elements appear, and once the page has loaded.
  new MutationObserver(nameComboboxes).observe(document.documentElement, {
    childList: true,
    subtree: true,
  });
  window.addEventListener("load", nameComboboxes);
})();
