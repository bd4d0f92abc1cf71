// campus events: the pages work without this script (a plain form, a
// page to print); with it,
//  - the form that generates an event's accounts says that it is working
//    while identity makes them (about a minute for 2,000): on submit it
//    disables its button and shows an indeterminate progress bar with the
//    number being made. For a download (CSV, PDF) the page stays; the
//    portal answers the file with a cookie holding the token the form
//    sent, and the script, seeing it, says the file is coming and enables
//    the button again;
//  - the page of new accounts gets a print button.
// No inline script: the CSP stays script-src 'self'.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";

  var print = document.getElementById("print");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () {
      window.print();
    });
  }

  var form = document.getElementById("generate");
  if (!form) {
    return;
  }
  var button = form.querySelector('button[type="submit"]');
  var bar = document.getElementById("generate-progress");
  var status = document.getElementById("generate-status");
  var token = form.querySelector('input[name="download"]');
  var busy = false;
  var timer = 0;

  // accounts is what the form asks for: one per non-empty line of the
  // names, else the number.
  function accounts() {
    var names = form.querySelector('textarea[name="labels"]').value.split("\n").filter(function (l) {
      return l.trim() !== "";
    }).length;
    if (names > 0) {
      return names;
    }
    var n = parseInt(form.querySelector('input[name="count"]').value, 10);
    return isNaN(n) ? 0 : n;
  }

  function format() {
    var chosen = form.querySelector('input[name="format"]:checked');
    return chosen ? chosen.value : "show";
  }

  function randomToken() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function cookie(name) {
    var parts = document.cookie.split(";");
    for (var i = 0; i < parts.length; i++) {
      var kv = parts[i].trim().split("=");
      if (kv[0] === name) {
        return kv.slice(1).join("=");
      }
    }
    return "";
  }

  function done(text) {
    window.clearInterval(timer);
    timer = 0;
    busy = false;
    button.disabled = false;
    bar.hidden = true;
    status.textContent = text;
  }

  form.addEventListener("submit", function (ev) {
    if (busy) {
      ev.preventDefault(); // one batch at a time: a second would replace the first
      return;
    }
    busy = true;
    var n = accounts();
    status.textContent = form.dataset.making.replace("{n}", n.toLocaleString(lang));
    bar.hidden = false;
    // Disabled after this event: the form is sent all the same.
    window.setTimeout(function () {
      button.disabled = true;
    }, 0);
    token.value = "";
    if (format() !== "show" && window.crypto && window.crypto.getRandomValues) {
      var t = randomToken();
      token.value = t;
      var started = Date.now();
      timer = window.setInterval(function () {
        if (cookie("campus_download") === t) {
          document.cookie = "campus_download=; Max-Age=0; Path=" + form.dataset.cookie;
          done(form.dataset.downloaded);
        } else if (Date.now() - started > 10 * 60 * 1000) {
          done("");
        }
      }, 500);
    }
  });

  // Back to this page from the next one: the browser may show it as it
  // was left, still busy.
  window.addEventListener("pageshow", function (ev) {
    if (ev.persisted) {
      done("");
    }
  });
})();
