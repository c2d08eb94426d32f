// Screen with the keyboard, as in `pdacmine screen`: i include, e exclude (then the reason's number),
// m maybe, n note, s skip, u undo. Keys act only when no text field has the focus (Esc leaves one).
(function () {
  "use strict";
  var reason = document.getElementById("reason");
  var hint = document.getElementById("reason-hint");
  var picking = false;
  function click(id) {
    var el = document.getElementById(id);
    if (el) { el.click(); }
  }
  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.isContentEditable);
  }
  function pick(on) {
    picking = on;
    if (hint) { hint.hidden = !on; }
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      pick(false);
      if (typing(document.activeElement) || document.activeElement === reason) { document.activeElement.blur(); }
      return;
    }
    if (event.altKey || event.ctrlKey || event.metaKey || typing(document.activeElement)) { return; }
    if (document.activeElement === reason) { return; }
    var key = event.key.toLowerCase();
    if (picking && reason && /^[1-9]$/.test(key)) {
      var n = parseInt(key, 10);
      if (n < reason.options.length) {
        event.preventDefault();
        reason.selectedIndex = n;
        pick(false);
        click("btn-exclude");
      }
      return;
    }
    var actions = { i: "btn-include", m: "btn-maybe", s: "btn-skip", u: "btn-undo" };
    if (actions[key]) { event.preventDefault(); pick(false); click(actions[key]); }
    else if (key === "e" && reason) { event.preventDefault(); pick(true); }
    else if (key === "n") {
      var note = document.getElementById("note");
      if (note) { event.preventDefault(); note.focus(); }
    }
  });
})();
