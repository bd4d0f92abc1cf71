// campus messaging, live: the portal's pages work without this script
// (forms and reloads); with it, they follow the person's event stream.
// It opens an EventSource on the portal's /messaging/events (the messages
// API's stream, passed on with the session's token; the browser resumes
// with Last-Event-ID on its own), and on
//  - message.created in the open conversation: fetches the server-rendered
//    HTML of the new messages (/messaging/fragments/{id}?after=) and adds it;
//  - message.edited / message.deleted there: updates the message;
//  - unread changes: updates the list's counts and the top bar's total,
//    and loads the list again for a conversation it does not show yet;
//  - presence: updates the members' dots;
//  - reset (the stream lost events): reloads the open conversation.
// No framework, no inline script: the CSP stays script-src 'self'.
(function () {
  "use strict";
  var body = document.body;
  if (!body || !body.dataset.me || !window.EventSource || !window.fetch) {
    return;
  }
  var base = body.dataset.base || "";
  var me = body.dataset.me;
  var history = document.getElementById("history");
  var open = history && history.dataset.live === "true" ? history.dataset.conversation : "";
  var german = document.documentElement.lang === "de";

  // Fragments are fetched one after another, so that two messages that
  // come close together are added once each, in order.
  var queue = Promise.resolve();

  function addNew() {
    queue = queue.then(function () {
      var last = history.dataset.last || "";
      var url = base + "/messaging/fragments/" + encodeURIComponent(open) + (last ? "?after=" + encodeURIComponent(last) : "");
      return fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } }).then(function (r) {
        if (!r.ok) {
          throw new Error("fragment " + r.status);
        }
        return r.text();
      }).then(function (html) {
        var tmp = document.createElement("ol");
        tmp.innerHTML = html; // the portal's own rendering: messages' HTML made safe by the messages API
        var items = tmp.querySelectorAll("li.msg");
        for (var i = 0; i < items.length; i++) {
          var li = items[i];
          if (document.getElementById(li.id)) {
            continue;
          }
          history.appendChild(li);
          history.dataset.last = li.dataset.id;
        }
        var empty = document.getElementById("history-empty");
        if (items.length && empty) {
          empty.remove();
        }
        refreshTotal();
      });
    }).catch(function () {});
  }

  function setBadge(badge, n) {
    if (!badge) {
      return;
    }
    var count = badge.querySelector(".count");
    if (count) {
      count.textContent = n > 999 ? "999+" : String(n);
    }
    badge.hidden = n < 1;
  }

  function listBadge(cid) {
    var li = document.querySelector('#conversations li[data-conversation="' + CSS.escape(cid) + '"]');
    return li ? { li: li, badge: li.querySelector(".badge.unread") } : null;
  }

  // The top bar's total is asked for again (at most every half second)
  // rather than counted here: reading in another tab changes it too.
  var totalTimer = 0;
  function refreshTotal() {
    clearTimeout(totalTimer);
    totalTimer = setTimeout(function () {
      fetch(base + "/messaging/unread", { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
        return r.ok ? r.json() : null;
      }).then(function (u) {
        if (u && typeof u.total === "number") {
          setBadge(document.getElementById("unread-total"), u.total);
        }
      }).catch(function () {});
    }, 500);
  }

  function messageElement(d) {
    return open && d.conversation_id === open ? document.getElementById("m-" + d.id) : null;
  }

  function onCreated(d) {
    if (open && d.conversation_id === open) {
      addNew();
      return;
    }
    if (d.sender === me) {
      return;
    }
    var l = listBadge(d.conversation_id);
    if (!l) {
      reloadList();
    }
    if (l && l.badge) {
      var n = parseInt(l.badge.querySelector(".count").textContent, 10) || 0;
      setBadge(l.badge, n + 1);
      l.li.classList.add("has-unread");
      var ex = l.li.querySelector(".excerpt");
      if (ex && !d.deleted) {
        ex.textContent = (german && d.text_de ? d.text_de : d.text || "").slice(0, 90);
      }
      l.li.parentNode.insertBefore(l.li, l.li.parentNode.firstChild);
    }
    refreshTotal();
  }

  // reloadList shows a conversation the list does not have yet (someone
  // wrote first, or added the person to a group) by loading the list
  // again, unless the person is typing in it.
  function reloadList() {
    if (!document.getElementById("conversations-page")) {
      return;
    }
    var a = document.activeElement;
    if (a && (a.tagName === "INPUT" || a.tagName === "TEXTAREA" || a.tagName === "SELECT")) {
      return;
    }
    location.reload();
  }

  function onEdited(d) {
    var li = messageElement(d);
    var b = li && li.querySelector(".body");
    if (!b || d.deleted) {
      return;
    }
    b.innerHTML = german && d.html_de ? d.html_de : d.html || ""; // made safe by the messages API
    if (!li.querySelector(".edited")) {
      var mark = document.createElement("span");
      mark.className = "meta edited";
      mark.textContent = history.dataset.edited || "";
      var head = li.querySelector(".msg-head");
      head.appendChild(document.createTextNode(" "));
      head.appendChild(mark);
    }
  }

  function onDeleted(d) {
    var li = messageElement(d);
    if (!li) {
      return;
    }
    var b = li.querySelector(".body");
    if (b) {
      b.className = "body deleted";
      b.textContent = "";
      var p = document.createElement("p");
      var em = document.createElement("em");
      em.textContent = history.dataset.deleted || "";
      p.appendChild(em);
      b.appendChild(p);
    }
    ["files", "msg-actions", "edited"].forEach(function (c) {
      var e = li.querySelector("." + c);
      if (e) {
        e.remove();
      }
    });
    var links = li.querySelectorAll(".body ~ p a");
    for (var i = 0; i < links.length; i++) {
      links[i].parentNode.remove();
    }
  }

  function onRead(d) {
    var l = listBadge(d.conversation_id);
    if (l) {
      setBadge(l.badge, d.unread || 0);
      l.li.classList.toggle("has-unread", (d.unread || 0) > 0);
    }
    refreshTotal();
  }

  function onPresence(d) {
    var dots = document.querySelectorAll('[data-presence="' + CSS.escape(d.id) + '"]');
    for (var i = 0; i < dots.length; i++) {
      var dot = dots[i];
      dot.classList.toggle("active", !!d.active);
      var list = dot.closest("[data-online]");
      var sr = dot.querySelector(".sr-only");
      if (list && sr) {
        sr.textContent = d.active ? list.dataset.online : list.dataset.away;
      }
    }
  }

  function on(kind, fn) {
    es.addEventListener(kind, function (e) {
      var d;
      try {
        d = JSON.parse(e.data);
      } catch (err) {
        return;
      }
      fn(d);
    });
  }

  var es = new EventSource(base + "/messaging/events");
  on("message.created", onCreated);
  on("message.edited", onEdited);
  on("message.deleted", onDeleted);
  on("read", onRead);
  on("presence", onPresence);
  on("member.added", function (d) {
    if (d.member === me) {
      reloadList();
    }
  });
  es.addEventListener("reset", function () {
    if (open) {
      location.reload();
    } else {
      refreshTotal();
    }
  });
  // Whatever came while the stream was being opened (the page was
  // rendered before it): look once when it opens.
  es.addEventListener("open", function () {
    body.dataset.stream = "open"; // for tests and styles: the page is live
    if (open) {
      addNew();
    }
  });
  es.addEventListener("error", function () {
    body.dataset.stream = "reconnecting";
  });
})();
