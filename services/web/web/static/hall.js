/* Kaleidoscope, the hall screen: the board live over Server-Sent Events. The server sends each board
   already rendered in the screen's language; this script swaps it in, marks scores that just appeared,
   and keeps the connection: the browser reconnects by itself (sending the last board's id), and when it
   gives up this script opens a new connection with growing pauses. */
(function () {
  "use strict";
  var hall = document.getElementById("hall");
  var board = document.getElementById("board");
  if (!hall || !board || !window.EventSource) { return; }
  var status = document.getElementById("hall-status");
  var announce = document.getElementById("hall-announce");
  var url = hall.getAttribute("data-events");
  var lastId = (url.match(/[?&]last=([^&]*)/) || [])[1] || "";
  var base = url.replace(/[?&]last=[^&]*/, "");
  var pause = 1000;
  var source = null;

  function scores() {
    var found = {};
    Array.prototype.forEach.call(board.querySelectorAll("[data-entry]"), function (line) {
      found[line.getAttribute("data-entry")] = line.getAttribute("data-score") || "";
    });
    return found;
  }

  function show(payload) {
    var before = scores();
    board.innerHTML = payload.html;
    var revealed = [];
    Array.prototype.forEach.call(board.querySelectorAll("[data-score]"), function (line) {
      var entry = line.getAttribute("data-entry");
      if (!before[entry]) {
        line.classList.add("revealed");
        var title = line.querySelector(".hall-title");
        revealed.push((title ? title.firstChild.textContent : "") + " " + line.getAttribute("data-score"));
      }
    });
    if (announce && revealed.length) {
      announce.textContent = hall.getAttribute("data-revealed") + " " + revealed.join("; ");
    }
  }

  function connect() {
    var target = base + (lastId ? (base.indexOf("?") < 0 ? "?" : "&") + "last=" + encodeURIComponent(lastId) : "");
    source = new EventSource(target);
    source.addEventListener("open", function () {
      pause = 1000;
      if (status) { status.textContent = ""; }
    });
    source.addEventListener("board", function (event) {
      lastId = event.lastEventId || lastId;
      var payload;
      try { payload = JSON.parse(event.data); } catch (e) { return; }
      show(payload);
      if (payload.closed) { hall.setAttribute("data-closed", "1"); }
    });
    source.addEventListener("error", function () {
      if (status) { status.textContent = hall.getAttribute("data-reconnecting"); }
      if (source.readyState === EventSource.CLOSED) {
        // the browser gave up (the server answered with an error): try again, waiting longer each time
        window.setTimeout(connect, pause);
        pause = Math.min(pause * 2, 30000);
      }
    });
  }
  connect();
}());
