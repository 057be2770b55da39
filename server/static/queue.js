/* The phone's outbox and status lines, on every collection page (needs store.js and #page-data).

   Outbox: a filled form waits in IndexedDB with the UUID made when it was filled, the user and the commune
   it was made for. It is sent only in that user's session (the server is asked who is logged in first, and
   refuses a form whose user or commune is not the session's), so on a shared phone A's forms wait for A.
   The server stores a UUID once: a retry, a double send or a second tab changes nothing. A photo follows
   its form under the same UUID. Sending retries with back-off while the server does not answer.

   Status: whether the server answered recently (not navigator.onLine, which only knows about Wi-Fi or
   mobile data), and whether this phone keeps what the user needs offline (the service worker's sync). */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("page-data").textContent);
  var t = data.messages;
  var me = data.user;
  var BASE_DELAY = 5000;
  var MAX_DELAY = 5 * 60 * 1000;
  var PING_EVERY = 30000;
  var FRESH = 45000;
  var KEEP_STORED = 30;
  var CONTACT = "phuhop:contact";
  var LOGGED_OUT = "phuhop:logged-out";  /* who logged out on this phone last: their pages must not come back */
  var delay = BASE_DELAY;
  var timer = null;
  var flushing = null;
  var reachable = null;
  var listeners = [];

  function fill(text, params) {
    Object.keys(params).forEach(function (name) { text = text.split("%(" + name + ")s").join(String(params[name])); });
    return text;
  }
  function when(moment) {
    var date = new Date(moment);
    var options = { hour: "2-digit", minute: "2-digit" };
    if (date.toDateString() !== new Date().toDateString()) { options.day = "numeric"; options.month = "numeric"; }
    return date.toLocaleString(data.language, options);
  }
  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  function newUuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  /* ---------------------------------------------------------------- talking to the server */

  /* A request that gives up after `ms` (a frozen server never answers); any answer proves the server is there. */
  function request(url, options, ms) {
    var controller = new AbortController();
    var stop = setTimeout(function () { controller.abort(); }, ms);
    var settings = Object.assign({ credentials: "same-origin", cache: "no-store", signal: controller.signal }, options);
    return fetch(url, settings).then(function (response) {
      clearTimeout(stop);
      contact(true);
      return response;
    }, function (error) {
      clearTimeout(stop);
      contact(false);
      throw error;
    });
  }

  function contact(ok) {
    reachable = ok;
    if (ok) { localStorage.setItem(CONTACT, String(Date.now())); }
    showStatus();
  }

  /* Who the session belongs to now: {username, …}, null when nobody is logged in; rejects when unreachable. */
  function whoami() {
    return request("/api/me", { headers: { Accept: "application/json" } }, 10000).then(function (response) {
      return response.ok ? response.json() : null;
    });
  }

  function ping() { return whoami().then(function () { flush(); }, function () {}); }

  function showStatus() {
    var line = document.getElementById("connection");
    var last = Number(localStorage.getItem(CONTACT) || 0);
    var ok = reachable === null ? Date.now() - last < FRESH : reachable;
    document.body.classList.toggle("offline", !ok);
    if (!line) { return; }
    line.dataset.server = ok ? "ok" : "lost";
    line.textContent = ok ? fill(t.server_ok, { time: when(last || Date.now()) })
      : last ? fill(t.server_lost, { time: when(last) }) : t.server_never;
  }

  /* ---------------------------------------------------------------- the outbox */

  function items() {
    return PhuhopStore.all("outbox").then(function (all) {
      return all.sort(function (a, b) { return a.queued_at < b.queued_at ? -1 : a.queued_at > b.queued_at ? 1 : 0; });
    });
  }
  function mine(all) { return all.filter(function (item) { return item.user === me; }); }
  function waiting(item) { return item.status === "queued" || item.status === "photos"; }
  function save(item) { return PhuhopStore.put("outbox", item).then(notify); }

  /* A filled form goes to the outbox (a refused one that was corrected goes back under its UUID). */
  function enqueue(entry) {
    entry.uuid = entry.uuid || newUuid();
    entry.user = me;
    entry.commune_code = data.commune_code;
    entry.commune_name = data.commune_name;
    entry.status = "queued";
    entry.queued_at = new Date().toISOString();
    delete entry.errors;
    delete entry.detail;
    return save(entry).then(function () { flush(); return entry.uuid; });
  }

  /* Why the server refused a form: the problems with answers, and every other reason in its own words. */
  function reasons(item) {
    var errors = item.errors || [];
    var answers = errors.filter(function (error) { return /^answers\./.test(error.field || ""); });
    var other = errors.filter(function (error) { return answers.indexOf(error) < 0; })
      .map(function (error) { return error.message; });
    if (!other.length && !answers.length) { other = [item.detail]; }
    return { answers: answers, other: other };
  }

  /* A refusal not about the answers, since resolved: the same form (same UUID, same completion time) again. */
  function resend(item) {
    item.status = "queued";
    delete item.errors;
    delete item.detail;
    delay = BASE_DELAY;
    return save(item).then(function () { return flush(); });
  }

  function forget(uuid) {
    return PhuhopStore.photosOf(uuid).then(function (photos) {
      return Promise.all(photos.map(function (photo) { return PhuhopStore.remove("photos", photo.id); }));
    }).then(function () { return PhuhopStore.remove("outbox", uuid); }).then(notify);
  }

  function sendAnswers(item) {
    var body = { uuid: item.uuid, form_id: item.form_id, form_version: item.form_version, answers: item.answers,
                 commune_code: item.commune_code, username: item.user, client_created_at: item.queued_at };
    return request("/api/submissions", {
      method: "POST", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", Accept: "application/json", "x-csrftoken": csrfToken() }
    }, 60000).then(function (response) {
      if (response.status === 200 || response.status === 201) {
        return response.json().then(function (stored) {
          item.status = (item.photos || []).length ? "photos" : "stored";
          item.stored_at = stored.received_at;
          item.duplicate = stored.duplicate;
          return save(item).then(function () { return true; });
        });
      }
      if (response.status >= 400 && response.status < 500 && [401, 408, 429].indexOf(response.status) < 0) {
        return response.json().catch(function () { return {}; }).then(function (refused) {
          item.status = "rejected";
          item.detail = refused.detail || String(response.status);
          item.errors = refused.errors || [];
          return save(item).then(function () { return true; });
        });
      }
      return false; /* logged out, overloaded or down: keep it and try again later */
    }, function () { return false; });
  }

  function sendPhoto(item, name) {
    return PhuhopStore.get("photos", item.uuid + "/" + name).then(function (photo) {
      if (!photo) { return true; }
      var body = new FormData();
      body.append("photo", photo.blob, photo.original_name || name);
      return request("/api/submissions/" + item.uuid + "/photos/" + encodeURIComponent(name), {
        method: "PUT", body: body, headers: { Accept: "application/json", "x-csrftoken": csrfToken() }
      }, 180000).then(function (response) {
        if (response.status === 401 || response.status === 408 || response.status === 429 || response.status >= 500) {
          return false;
        }
        var refused = response.ok ? Promise.resolve(null) : response.json().catch(function () { return {}; });
        return refused.then(function (body) {
          if (body) {
            item.photo_error = (body.errors || []).map(function (e) { return e.message; }).join(" ") || body.detail;
          }
          return PhuhopStore.remove("photos", photo.id).then(function () { return true; });
        });
      }, function () { return false; });
    }).then(function (done) {
      if (!done) { return false; }
      item.photos = item.photos.filter(function (other) { return other !== name; });
      if (!item.photos.length) { item.status = "stored"; }
      return save(item).then(function () { return true; });
    });
  }

  function sendOne(item) {
    var step = item.status === "queued" ? sendAnswers(item) : Promise.resolve(true);
    return step.then(function (ok) {
      if (!ok || item.status !== "photos") { return ok; }
      return item.photos.reduce(function (chain, name) {
        return chain.then(function (fine) { return fine && sendPhoto(item, name); });
      }, Promise.resolve(true));
    });
  }

  function withLock(task) {
    return navigator.locks ? navigator.locks.request("phuhop-outbox", task) : task();
  }

  /* Send what this user's forms wait for, in this user's session only. */
  function flush() {
    if (flushing) { return flushing; }
    clearTimeout(timer);
    timer = null;
    flushing = withLock(function () {
      return items().then(function (all) {
        var pending = mine(all).filter(waiting);
        if (!pending.length) { delay = BASE_DELAY; return true; }
        return whoami().then(function (session) {
          if (!session || session.username !== me) { return false; }
          return pending.reduce(function (chain, item) {
            return chain.then(function (ok) {
              if (!ok) { return false; }
              return PhuhopStore.get("outbox", item.uuid).then(function (fresh) { /* another tab may have sent it */
                return fresh && waiting(fresh) ? sendOne(fresh) : true;
              });
            });
          }, Promise.resolve(true));
        });
      });
    }).then(function (ok) { return ok; }, function () { return false; }).then(function (ok) {
      flushing = null;
      if (ok) { delay = BASE_DELAY; } else { delay = Math.min(delay * 2, MAX_DELAY); timer = setTimeout(flush, delay); }
      return prune();
    });
    return flushing;
  }

  /* Of the stored forms, keep the latest few as receipts, without their photos. */
  function prune() {
    return items().then(function (all) {
      var stored = mine(all).filter(function (item) { return item.status === "stored"; });
      var old = stored.slice(0, Math.max(0, stored.length - KEEP_STORED));
      return Promise.all(old.map(function (item) { return forget(item.uuid); }));
    }).then(notify);
  }

  /* ---------------------------------------------------------------- lists on the pages */

  function notify() {
    return items().then(function (all) {
      listeners.forEach(function (listener) { listener(all); });
      render(all);
    });
  }

  function entry(item) {
    var li = document.createElement("li");
    li.dataset.uuid = item.uuid;
    li.dataset.status = item.status;
    var title = document.createElement("strong");
    title.textContent = item.title || item.form_id;
    li.append(title);
    if (item.label) {
      var what = document.createElement("span");
      what.className = "what";
      what.textContent = item.label;
      li.append(" · ", what);
    }
    var badge = document.createElement("span");
    badge.className = "badge " + item.status;
    badge.textContent = item.duplicate ? t.duplicate : t[item.status] || item.status;
    var time = document.createElement("span");
    time.className = "muted";
    time.textContent = when(item.stored_at || item.queued_at);
    li.append(" ", badge, document.createElement("br"), time);
    if (item.status === "rejected") {
      var refusal = reasons(item);
      var why = document.createElement("p");
      why.className = "field-error";
      why.textContent = refusal.other.concat(refusal.answers.length ? [fill(t.answers_refused, {
        messages: refusal.answers.map(function (error) { return error.message; }).join(" ") })] : []).join(" ");
      li.append(why);
      if (refusal.answers.length) {  /* the answers can fix it */
        var edit = document.createElement("a");
        edit.className = "button-link";
        edit.href = "/my/forms/" + item.form_id + "/" + item.form_version + "?edit=" + item.uuid;
        edit.textContent = t.edit;
        li.append(edit);
      } else {  /* nothing in the form can: once it is resolved (a later closing date…), the same form again */
        li.append(button(t.send_again, function () { resend(item); }));
      }
      li.append(" ", button(t.forget, function () {
        if (window.confirm(t.forget_confirm)) { forget(item.uuid); }
      }));
    }
    if (item.photo_error) {
      var photo = document.createElement("p");
      photo.className = "field-error";
      photo.textContent = t.photo_refused + " " + item.photo_error;
      li.append(photo);
    }
    if (waiting(item)) {
      li.append(" ", button(t.retry, function () { delay = BASE_DELAY; flush(); }));
    }
    return li;
  }

  function button(text, action) {
    var node = document.createElement("button");
    node.type = "button";
    node.className = "link";
    node.textContent = text;
    node.addEventListener("click", action);
    return node;
  }

  function render(all) {
    var own = mine(all);
    document.querySelectorAll("[data-show]").forEach(function (list) {
      if (list.dataset.show === "waiting") {
        list.textContent = "";
        var shown = own.filter(function (item) { return item.status !== "stored"; }).reverse();
        shown.forEach(function (item) { list.append(entry(item)); });
        if (!shown.length) {
          var none = document.createElement("li");
          none.className = "muted";
          none.textContent = t.nothing_waiting;
          list.append(none);
        }
      } else {
        /* Stored on the server: the page's own rows, and receipts of forms this phone sent since. */
        list.querySelectorAll("li[data-from-phone]").forEach(function (li) { li.remove(); });
        var limit = Number(list.dataset.limit || KEEP_STORED);
        own.filter(function (item) { return item.status === "stored"; }).reverse().slice(0, limit).reverse()
          .forEach(function (item) {
            if (list.querySelector('li[data-uuid="' + item.uuid + '"]')) { return; }
            var li = entry(item);
            li.dataset.fromPhone = "1";
            list.prepend(li);
          });
        var empty = document.getElementById("nothing-stored");
        if (empty) { empty.hidden = list.children.length > 0; }
      }
    });
    var others = all.filter(function (item) { return item.user !== me && item.status !== "stored"; }).length;
    var note = document.getElementById("others-waiting");
    if (note) {
      note.hidden = !others;
      note.textContent = fill(t.others_waiting, { count: others });
    }
  }

  /* ---------------------------------------------------------------- logging out with forms waiting */

  /* A form that only means something on the server (send the assessment for review): asked first whether the
     server answers, so that without it the page stays, with what was typed, and says nothing was sent. */
  function guardServerForms() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-needs-server]"), function (form) {
      form.addEventListener("submit", function (event) {
        if (form.dataset.checked) { return; }
        event.preventDefault();
        var old = form.querySelector(".not-sent");
        if (old) { old.remove(); }
        whoami().then(function () {
          form.dataset.checked = "1";
          form.submit();  /* fires no submit event */
        }, function () {
          var note = document.createElement("p");
          note.className = "error not-sent";
          note.setAttribute("role", "alert");
          note.textContent = t.not_sent;
          form.append(note);
        });
      });
    });
  }

  function guardLogout() {
    var form = document.getElementById("logout-form");
    if (!form) { return; }
    function leave() {  /* form.submit() fires no submit event */
      form.dataset.confirmed = "1";
      localStorage.setItem(LOGGED_OUT, me);
      form.submit();
    }
    form.addEventListener("submit", function (event) {
      if (form.dataset.confirmed) { return; }
      event.preventDefault();
      items().then(function (all) {
        var left = mine(all).filter(function (item) { return item.status !== "stored"; }).length;
        if (!left) { leave(); return; }
        var old = document.getElementById("logout-warning");
        if (old) { old.remove(); }
        var box = document.createElement("div");
        box.className = "card warning";
        box.id = "logout-warning";
        box.setAttribute("role", "alertdialog");
        var text = document.createElement("p");
        text.textContent = fill(t.logout_waiting, { count: left });
        var stay = button(t.logout_stay, function () { box.remove(); });
        stay.className = "primary";
        var anyway = button(t.logout_anyway, leave);
        anyway.className = "secondary";
        box.append(text, stay, " ", anyway);
        document.querySelector("main").prepend(box);
        window.scrollTo(0, 0);
      });
    });
  }

  /* ---------------------------------------------------------------- the service worker */

  function readiness(result) {
    var key = "phuhop:ready:" + me;
    if (result && result.user === me && result.count) {
      localStorage.setItem(key, JSON.stringify(result));
    } else {
      result = JSON.parse(localStorage.getItem(key) || "null");
    }
    var line = document.getElementById("offline-ready");
    if (result) {
      if (line) { line.textContent = fill(t.offline_ready, { count: result.count }); }
      document.documentElement.dataset.offlineReady = result.version;
    }
  }

  function keepOffline() {
    if (!("serviceWorker" in navigator)) { return; }
    navigator.serviceWorker.register("/sw.js").then(function () { return navigator.serviceWorker.ready; })
      .then(function (registration) {
        return new Promise(function (resolve) {
          var channel = new MessageChannel();
          channel.port1.onmessage = function (event) { resolve(event.data); };
          registration.active.postMessage({ type: "sync" }, [channel.port2]);
        });
      }).then(readiness, function () { readiness(null); });
  }

  window.PhuhopOutbox = {
    me: me, newUuid: newUuid, items: items, mine: mine, enqueue: enqueue, flush: flush, forget: forget, save: save,
    reasons: reasons, resend: resend,
    onChange: function (listener) { listeners.push(listener); }
  };

  window.addEventListener("online", function () { delay = BASE_DELAY; ping(); });
  window.addEventListener("offline", function () { contact(false); });
  /* Back to a page of a user who has logged out since (the browser's back-forward cache keeps it whole): no. */
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && localStorage.getItem(LOGGED_OUT) === me) { location.reload(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    if (localStorage.getItem(LOGGED_OUT) === me) { localStorage.removeItem(LOGGED_OUT); }  /* logged in again */
    showStatus();
    readiness(null);
    guardLogout();
    guardServerForms();
    notify();
    ping();
    keepOffline();
    setInterval(ping, PING_EVERY);
  });
})();
