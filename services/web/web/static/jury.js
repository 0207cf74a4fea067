/* Kaleidoscope, the juror's score sheet: a draft kept in this browser (localStorage) until the score is
   saved, the juror's private note (never sent), and in a final a quiet reload while waiting for the
   defence. The page works without it; nothing here is needed to score. */
(function () {
  "use strict";
  var form = document.getElementById("score-sheet");
  if (!form) { return; }
  var key = form.getAttribute("data-draft-key");
  var revision = form.getAttribute("data-revision") || "0";
  var note = document.getElementById("private-note");
  var status = document.getElementById("draft-status");
  var saved = document.querySelector("[data-saved='1']");

  function read() {
    try { return JSON.parse(window.localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }
  function write(draft) {
    try { window.localStorage.setItem(key, JSON.stringify(draft)); } catch (e) { /* private mode: no draft */ }
  }
  function radios() { return form.querySelectorAll("input[type=radio]"); }
  function currentMarks() {
    var marks = {};
    Array.prototype.forEach.call(radios(), function (input) {
      if (input.checked) { marks[input.name] = input.value; }
    });
    return marks;
  }

  var draft = read();
  if (saved && draft) {
    // the score just reached judging: the marks' draft is done, the private note stays
    draft = { revision: revision, marks: {}, note: draft.note || "" };
    write(draft);
  }
  if (draft) {
    if (note && draft.note) { note.value = draft.note; }
    // marks of a draft made on this very sheet (same saved revision), unless the page shows kept marks
    var fresh = draft.revision === revision && form.getAttribute("data-kept") !== "1";
    if (fresh && draft.marks && Object.keys(draft.marks).length) {
      Array.prototype.forEach.call(radios(), function (input) {
        if (draft.marks[input.name] === input.value && !input.disabled) { input.checked = true; }
      });
      if (status) { status.textContent = status.getAttribute("data-restored") || ""; }
    }
  }

  function store() {
    write({ revision: revision, marks: currentMarks(), note: note ? note.value : "" });
  }
  form.addEventListener("change", store);
  if (note) { note.addEventListener("input", store); }

  // a final: while this entry waits for its defence, look again every 15 s (unless the juror is typing)
  var waiting = document.getElementById("sheet-waiting");
  if (waiting && waiting.getAttribute("data-await") === "1") {
    window.setInterval(function () {
      if (document.visibilityState === "visible" && document.activeElement !== note) {
        window.location.reload();
      }
    }, 15000);
  }
}());
