// Suggestions as you type for the actor boxes: a <datalist data-suggest-url="..."> is filled
// with the names the server finds for what is typed. Without this script the boxes still
// work: the server resolves whatever name, alias or slug is typed.
(function () {
  "use strict";
  document.querySelectorAll("datalist[data-suggest-url]").forEach(function (list) {
    var timer = null;
    var last = "";
    function fill(results) {
      var options = results.map(function (actor) {
        var option = document.createElement("option");
        option.value = actor.name;
        option.label = actor.short_name || actor.slug;
        return option;
      });
      list.replaceChildren.apply(list, options);
    }
    function ask(text) {
      var url = list.dataset.suggestUrl + "?q=" + encodeURIComponent(text);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) { fill(data.results || []); })
        .catch(function () { /* offline or refused: keep the list as it is */ });
    }
    document.querySelectorAll('input[list="' + list.id + '"]').forEach(function (input) {
      input.addEventListener("input", function () {
        var text = input.value.trim();
        if (!text || text === last) { return; }
        last = text;
        window.clearTimeout(timer);
        timer = window.setTimeout(function () { ask(text); }, 150);
      });
    });
  });
})();
