// Progressive enhancement for the desk (every page loads this file).

// A button that destroys something asks first: its data-confirm attribute holds the question.
document.addEventListener("submit", function (event) {
  "use strict";
  var question = event.submitter && event.submitter.dataset.confirm;
  if (question && !window.confirm(question)) { event.preventDefault(); }
});

// The deal desk: as the fields change, ask the server for the payment (the same arithmetic
// as the "Work out payment" button) and replace the panel.
(function () {
  "use strict";
  var form = document.getElementById("deal-form");
  if (!form || !window.fetch) { return; }
  var timer = null;
  function refresh() {
    var body = new FormData(form);
    body.delete("action");
    fetch(form.dataset.quoteUrl, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#quote");
        var old = document.getElementById("quote");
        if (fresh && old) { old.replaceWith(fresh); }
      });
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });
})();
