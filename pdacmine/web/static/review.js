// Review with the keyboard, as in the terminal: a accept, r reject, c correct, n note, s skip, u undo.
// Keys act only when no text field has the focus (Esc leaves one). "correct" offers the vocabulary's
// concepts as you type (type-ahead from /api/concepts).
(function () {
  "use strict";
  function click(id) {
    var el = document.getElementById(id);
    if (el) { el.click(); }
  }
  function focus(id) {
    var el = document.getElementById(id);
    if (el) { el.focus(); if (el.select) { el.select(); } }
  }
  var typing = function (el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  };
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && typing(document.activeElement)) {
      document.activeElement.blur();
      return;
    }
    if (event.altKey || event.ctrlKey || event.metaKey || typing(document.activeElement)) { return; }
    var actions = { a: "btn-accept", r: "btn-reject", s: "btn-skip", u: "btn-undo" };
    var key = event.key.toLowerCase();
    if (actions[key]) { event.preventDefault(); click(actions[key]); }
    else if (key === "c") { event.preventDefault(); focus("slot"); }
    else if (key === "n") { event.preventDefault(); focus("note"); }
  });
  var slot = document.getElementById("slot");
  var concept = document.getElementById("concept");
  var list = document.getElementById("concept-list");
  if (!slot || !concept || !list) { return; }
  var pending = null;
  function suggest() {
    var url = "/api/concepts?slot=" + encodeURIComponent(slot.value) + "&q=" + encodeURIComponent(concept.value);
    if (pending) { pending.abort(); }
    pending = new AbortController();
    fetch(url, { signal: pending.signal, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (items) {
        list.replaceChildren();
        items.forEach(function (c) {
          var opt = document.createElement("option");
          opt.value = c.key;
          opt.label = c.name;
          list.appendChild(opt);
        });
      })
      .catch(function () { /* aborted by the next key press */ });
  }
  concept.addEventListener("input", suggest);
  slot.addEventListener("change", function () { concept.value = ""; suggest(); });
  slot.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); concept.focus(); }
  });
  suggest();
})();
