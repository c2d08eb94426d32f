// Render the page's Vega-Lite specs with vega-embed: specs embedded as JSON (the heat maps) and
// specs fetched once from data-src (the year and study charts, which read every evidence row).
// A heat-map cell that carries a "url" opens the findings behind it when clicked.
(function () {
  "use strict";
  function render(el, spec) {
    if (!spec.data.values.length) {
      el.textContent = "nothing to show";
      el.classList.add("empty");
      el.dataset.ready = "1";
      return;
    }
    el.textContent = "";
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
  }
  document.querySelectorAll("div.vega[data-spec]").forEach(function (el) {
    render(el, JSON.parse(document.getElementById(el.dataset.spec).textContent));
  });
  var fetched = {};
  document.querySelectorAll("div.vega[data-src]").forEach(function (el) {
    var src = el.dataset.src;
    fetched[src] = fetched[src] || fetch(src, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    });
    fetched[src].then(function (specs) { render(el, specs[el.dataset.part]); })
      .catch(function (err) { el.textContent = "chart failed: " + err; });
  });
})();
