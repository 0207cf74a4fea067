// The entry form, better with JavaScript: each chosen file is uploaded at once with a progress bar,
// checked for size and type before it is sent; the private link gets a copy button; a territory list
// can be filtered by typing. Without JavaScript the form does all of this on the server.
(function () {
  "use strict";

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var field = document.getElementById(button.getAttribute("data-copy"));
      var status = document.getElementById("copy-status");
      field.select();
      var done = function () { if (status) { status.textContent = button.getAttribute("data-copied"); } };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
      } else {
        document.execCommand("copy");
        done();
      }
    });
  });

  var form = document.getElementById("entry-form");
  if (!form) { return; }
  var input = document.getElementById("files");
  var list = document.getElementById("upload-list");
  var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10);
  var accepted = form.getAttribute("data-accepted").split(",");
  var byExtension = { pdf: "application/pdf", png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg",
    docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    odt: "application/vnd.oasis.opendocument.text", doc: "application/msword", mp4: "video/mp4", zip: "application/zip" };

  function row(name) {
    var item = document.createElement("li");
    var label = document.createElement("span");
    label.textContent = name;
    var bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    bar.setAttribute("aria-label", name);
    var message = document.createElement("span");
    message.className = "field-error";
    message.setAttribute("role", "alert");
    item.appendChild(label); item.appendChild(bar); item.appendChild(message);
    list.appendChild(item);
    return { item: item, bar: bar, message: message };
  }

  function refuse(parts, text) {
    parts.bar.remove();
    parts.message.textContent = text;
  }

  function uploaded(parts, ref) {
    parts.bar.remove();
    var hidden = document.createElement("input");
    hidden.type = "hidden"; hidden.name = "attachment"; hidden.value = JSON.stringify(ref);
    var remove = document.createElement("button");
    remove.type = "button"; remove.className = "secondary";
    remove.textContent = form.getAttribute("data-remove") + " " + ref.filename;
    remove.addEventListener("click", function () { parts.item.remove(); input.focus(); });
    parts.message.className = "muted"; parts.message.removeAttribute("role");
    parts.message.textContent = "(" + Math.round(ref.size_bytes / 1024) + " KB, " + form.getAttribute("data-uploaded") + ")";
    parts.item.appendChild(hidden); parts.item.appendChild(remove);
  }

  function upload(file) {
    var parts = row(file.name);
    var extension = (file.name.split(".").pop() || "").toLowerCase();
    if (file.size > maxBytes) { return refuse(parts, form.getAttribute("data-too-large")); }
    if (byExtension[extension] && accepted.indexOf(byExtension[extension]) < 0) {
      return refuse(parts, form.getAttribute("data-wrong-type"));
    }
    var request = new XMLHttpRequest();
    request.open("POST", form.getAttribute("data-upload-url") + "?filename=" + encodeURIComponent(file.name));
    request.setRequestHeader("X-CSRF-Token", form.getAttribute("data-csrf"));
    request.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    request.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) { parts.bar.value = Math.round(100 * event.loaded / event.total); }
    });
    request.addEventListener("load", function () {
      var body = {};
      try { body = JSON.parse(request.responseText); } catch (error) { body = {}; }
      if (request.status === 201) { uploaded(parts, body); }
      else { refuse(parts, body.detail || form.getAttribute("data-upload-failed")); }
    });
    request.addEventListener("error", function () { refuse(parts, form.getAttribute("data-upload-failed")); });
    request.send(file);
  }

  if (input && list) {
    input.addEventListener("change", function () {
      Array.prototype.forEach.call(input.files, upload);
      input.value = "";
    });
  }

  // one submission, however often the button is pressed (the Idempotency-Key covers retries too)
  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.value === "send") {
      if (form.getAttribute("data-sending")) { event.preventDefault(); return; }
      form.setAttribute("data-sending", "1");
      window.setTimeout(function () { submitter.disabled = true; }, 0);
      // a disabled button's value is not sent: keep it
      var action = document.createElement("input");
      action.type = "hidden"; action.name = "action"; action.value = "send";
      form.appendChild(action);
    }
  });
}());
