// Render every Vega-Lite spec of the page (embedded as JSON) with vega-embed; a heat-map cell
// that carries a "url" opens the findings behind it when clicked.
(function () {
  "use strict";
  document.querySelectorAll("div.vega[data-spec]").forEach(function (el) {
    var spec = JSON.parse(document.getElementById(el.dataset.spec).textContent);
    if (!spec.data.values.length) {
      el.textContent = "nothing to show";
      el.classList.add("empty");
      return;
    }
    vegaEmbed(el, spec, { renderer: "svg", actions: false }).then(function (result) {
      el.dataset.ready = "1";
      result.view.addEventListener("click", function (event, item) {
        if (item && item.datum && item.datum.url) {
          window.location.href = item.datum.url;
        }
      });
    }).catch(function (err) {
      el.textContent = "chart failed: " + err;
    });
  });
})();
