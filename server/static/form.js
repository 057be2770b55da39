/* The fill-a-form page. Renders the form version from its JSON, one screen per group, and guides:
   words on the step buttons, messages beside each field that clear as soon as the answer is right, the
   same rules as the server (PhuhopForms.validate over the same JSON). The draft (answers, step, photos)
   is saved on the phone at every change, per user, and a reopened draft says so and returns to its step.
   A photo is shrunk on the phone (≤ 1600 px, JPEG ≤ 300 KB; re-encoding drops EXIF location and camera
   data) and kept in IndexedDB with the form's UUID. "?edit=<uuid>" reopens a form the server refused,
   with the server's messages beside their fields. Needs store.js, queue.js, logic.js, validate.js. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("page-data").textContent);
  var form = data.form;
  var lang = data.language;
  var t = data.messages;
  var PHOTO_SIDE = 1600;
  var PHOTO_BYTES = 300 * 1024;
  var draftKey = data.user + ":" + form.form_id + ":" + form.version;
  var root = document.getElementById("survey");
  var fields = {};
  form.groups.forEach(function (group) { group.fields.forEach(function (field) { fields[field.key] = field; }); });
  var state;           /* {uuid, answers, step, saved_at}: the form being filled */
  var editing = null;  /* the refused outbox item being corrected */
  var shown = {};      /* field key → message shown beside it */
  var refused = {};    /* field key → {message, value}: the server's word, kept until that answer changes */
  var unreadable = {}; /* field key → true: a number the phone cannot read ("12a") */
  var groups = [];
  var current = 0;
  var back, next, submit;

  function text(texts) { return texts ? (texts[lang] || texts.vi || texts.en || "") : ""; }
  function fill(message, params) {
    Object.keys(params).forEach(function (name) { message = message.split("%(" + name + ")s").join(String(params[name])); });
    return message;
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") { node.textContent = attrs[name]; } else { node.setAttribute(name, attrs[name]); }
    });
    (children || []).forEach(function (child) { if (child) { node.append(child); } });
    return node;
  }
  function fieldId(field, suffix) { return "f-" + field.key + (suffix === undefined ? "" : "-" + suffix); }
  function status(message) { document.getElementById("form-status").textContent = message || ""; }
  function when(moment) {
    return new Date(moment).toLocaleString(lang, { hour: "2-digit", minute: "2-digit", day: "numeric", month: "numeric" });
  }

  /* ---------------------------------------------------------------- the draft */

  function saveDraft() {
    if (editing) { return Promise.resolve(); }
    state.saved_at = new Date().toISOString();
    return PhuhopStore.put("drafts", { key: draftKey, user: data.user, form_id: form.form_id, form_version: form.version,
                                       uuid: state.uuid, answers: state.answers, step: current, saved_at: state.saved_at });
  }

  function fresh() { return { uuid: PhuhopOutbox.newUuid(), answers: {}, step: 0, saved_at: null }; }

  function setAnswer(key, value) {
    if (value === "" || value === null || value === undefined || (Array.isArray(value) && !value.length)) {
      delete state.answers[key];
    } else {
      state.answers[key] = value;
    }
    saveDraft();
    refresh();
    recheck();
  }

  /* ---------------------------------------------------------------- questions */

  /* "12", "3,5", "1.559" (thousands, in a whole-number question) → a number; "" → null; anything else → NaN. */
  function readNumber(raw, whole) {
    var value = raw.trim().replace(/\s+/g, "");
    if (value === "") { return null; }
    if (whole && /^\d{1,3}([.,]\d{3})+$/.test(value)) { return Number(value.replace(/[.,]/g, "")); }
    return /^-?\d+([.,]\d+)?$/.test(value) ? Number(value.replace(",", ".")) : NaN;
  }

  function numberInput(field) {
    var whole = field.type === "integer";
    var input = el("input", { id: fieldId(field), type: "text", inputmode: whole ? "numeric" : "decimal",
                              autocomplete: "off" });
    if (state.answers[field.key] !== undefined) { input.value = String(state.answers[field.key]).replace(".", lang === "vi" ? "," : "."); }
    input.addEventListener("input", function () {
      var value = readNumber(input.value, whole);
      unreadable[field.key] = value !== null && isNaN(value);
      setAnswer(field.key, unreadable[field.key] ? null : value);
    });
    return input;
  }

  function choiceInputs(field, many) {
    var box = el("div", { role: many ? "group" : "radiogroup", id: fieldId(field) });
    var choices = field.type === "yes_no"
      ? [{ key: true, label: { vi: t.yes, en: t.yes } }, { key: false, label: { vi: t.no, en: t.no } }]
      : field.choices;
    choices.forEach(function (choice, index) {
      var input = el("input", { type: many ? "checkbox" : "radio", name: field.key, id: fieldId(field, index) });
      var chosen = state.answers[field.key];
      input.checked = many ? (chosen || []).indexOf(choice.key) >= 0 : chosen === choice.key;
      input.addEventListener("change", function () {
        if (!many) { setAnswer(field.key, choice.key); return; }
        var list = (state.answers[field.key] || []).filter(function (k) { return k !== choice.key; });
        if (input.checked) { list.push(choice.key); }
        setAnswer(field.key, list);
      });
      box.append(el("label", { class: "choice", for: input.id }, [input, text(choice.label)]));
    });
    return box;
  }

  function textInput(field, type) {
    var long = type === "text" && (field.max_length || 0) > 200;
    var input = el(long ? "textarea" : "input", { id: fieldId(field) });
    if (!long) { input.type = type === "date" ? "date" : "text"; }
    if (type === "date") { input.min = dateSpan()[0]; input.max = dateSpan()[1]; }
    if (field.max_length) { input.maxLength = field.max_length; }
    if (state.answers[field.key] !== undefined) { input.value = state.answers[field.key]; }
    input.addEventListener("input", function () { setAnswer(field.key, input.value.trim() === "" ? null : input.value); });
    return input;
  }

  function geopointInputs(field) {
    var value = state.answers[field.key] || {};
    var lat = el("input", { id: fieldId(field), type: "text", inputmode: "decimal", placeholder: t.latitude,
                            "aria-label": t.latitude, autocomplete: "off" });
    var lon = el("input", { id: fieldId(field, "lon"), type: "text", inputmode: "decimal", placeholder: t.longitude,
                            "aria-label": t.longitude, autocomplete: "off" });
    if (value.lat !== undefined) { lat.value = value.lat; }
    if (value.lon !== undefined) { lon.value = value.lon; }
    var note = el("p", { class: "muted", id: fieldId(field, "gps"), "aria-live": "polite" });
    function typed() {
      var a = readNumber(lat.value, false);
      var b = readNumber(lon.value, false);
      unreadable[field.key] = (a !== null && isNaN(a)) || (b !== null && isNaN(b));
      if (a === null && b === null) { setAnswer(field.key, null); return; }
      setAnswer(field.key, unreadable[field.key] ? null : { lat: a, lon: b });
    }
    lat.addEventListener("input", typed);
    lon.addEventListener("input", typed);
    var gps = el("button", { type: "button", class: "secondary", text: t.use_gps });
    gps.addEventListener("click", function () {
      if (!navigator.geolocation) { note.textContent = t.gps_failed; return; }
      note.textContent = t.gps_reading;
      navigator.geolocation.getCurrentPosition(function (position) {
        lat.value = position.coords.latitude.toFixed(6);
        lon.value = position.coords.longitude.toFixed(6);
        note.textContent = "";
        unreadable[field.key] = false;
        setAnswer(field.key, { lat: Number(lat.value), lon: Number(lon.value),
                               accuracy: Math.round(position.coords.accuracy) });
      }, function () { note.textContent = t.gps_failed; }, { enableHighAccuracy: true, timeout: 20000 });
    });
    return el("div", { class: "geopoint" }, [el("div", { class: "pair" }, [lat, lon]), gps, note]);
  }

  /* ---------------------------------------------------------------- photos */

  /* The photo as the server will receive it: at most 1600 px on its long side, a JPEG of at most 300 KB.
     Drawing it on a canvas and encoding again keeps the pixels only: EXIF (GPS, camera) is gone. */
  function shrink(file) {
    var url = URL.createObjectURL(file);
    var image = new Image();
    image.src = url;
    return image.decode().then(function () {
      var scale = Math.min(1, PHOTO_SIDE / Math.max(image.naturalWidth, image.naturalHeight));
      return encode(image, Math.round(image.naturalWidth * scale), Math.round(image.naturalHeight * scale), 0.8);
    }).then(function (result) { URL.revokeObjectURL(url); return result; },
            function (error) { URL.revokeObjectURL(url); throw error; });
  }

  function encode(image, width, height, quality) {
    var canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    canvas.getContext("2d").drawImage(image, 0, 0, width, height);
    return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", quality); }).then(function (blob) {
      if (!blob) { throw new Error("no JPEG"); }
      if (blob.size <= PHOTO_BYTES) { return { blob: blob, width: width, height: height }; }
      if (quality > 0.45) { return encode(image, width, height, Math.round(10 * quality - 1) / 10); }
      return encode(image, Math.round(width * 0.85), Math.round(height * 0.85), 0.7);
    });
  }

  function photoInput(field) {
    var input = el("input", { id: fieldId(field), type: "file", accept: "image/*", class: "visually-hidden" });
    var take = el("label", { for: input.id, class: "button-like", text: t.photo_take });
    var preview = el("img", { class: "photo-preview", alt: text(field.label), id: fieldId(field, "preview") });
    var info = el("p", { class: "muted", id: fieldId(field, "info"), "aria-live": "polite" });
    var remove = el("button", { type: "button", class: "link", text: t.photo_remove });
    function showPhoto(photo) {
      preview.hidden = remove.hidden = !photo;
      if (preview.src) { URL.revokeObjectURL(preview.src); preview.removeAttribute("src"); }
      info.textContent = photo ? fill(t.photo_ready, { width: photo.width, height: photo.height,
                                                        size: Math.round(photo.blob.size / 1024) }) : "";
      if (photo) { preview.src = URL.createObjectURL(photo.blob); }
    }
    var name = state.answers[field.key];
    showPhoto(null);
    if (name) { PhuhopStore.get("photos", state.uuid + "/" + name).then(function (photo) { showPhoto(photo || null); }); }
    input.addEventListener("change", function () {
      var file = input.files[0];
      if (!file) { return; }
      var stored = field.key + ".jpg";
      shrink(file).then(function (shrunk) {
        var photo = { id: state.uuid + "/" + stored, owner: state.uuid, name: stored, original_name: file.name,
                      blob: shrunk.blob, width: shrunk.width, height: shrunk.height };
        return PhuhopStore.put("photos", photo).then(function () {
          showPhoto(photo);
          setAnswer(field.key, stored);
        });
      }).catch(function () { info.textContent = t.photo_failed; }).then(function () { input.value = ""; });
    });
    remove.addEventListener("click", function () {
      PhuhopStore.remove("photos", state.uuid + "/" + state.answers[field.key]).then(function () {
        showPhoto(null);
        setAnswer(field.key, null);
      });
    });
    return el("div", { class: "photo" }, [input, take, preview, info, remove]);
  }

  /* ---------------------------------------------------------------- screens */

  function renderField(field) {
    var wrap = el("div", { class: "field", "data-key": field.key });
    if (field.type === "note") {
      wrap.append(el("p", { class: "note", text: text(field.label) }));
      return wrap;
    }
    var label = el("label", { for: fieldId(field), text: text(field.label) + (field.required ? " *" : "") });
    if (field.hint) { label.append(el("span", { class: "hint", text: text(field.hint) })); }
    var control;
    if (field.type === "integer" || field.type === "decimal") { control = numberInput(field); }
    else if (field.type === "yes_no" || field.type === "select_one") { control = choiceInputs(field, false); }
    else if (field.type === "select_many") { control = choiceInputs(field, true); }
    else if (field.type === "geopoint") { control = geopointInputs(field); }
    else if (field.type === "percent") { control = el("output", { id: fieldId(field), class: "computed" }); }
    else if (field.type === "photo") { control = photoInput(field); }
    else { control = textInput(field, field.type); }
    wrap.append(label, control, el("p", { class: "field-error", id: fieldId(field, "error"), "aria-live": "polite" }));
    return wrap;
  }

  function computePercents() {
    Object.keys(fields).forEach(function (key) {
      var field = fields[key];
      if (field.type !== "percent") { return; }
      var num = state.answers[field.numerator];
      var den = state.answers[field.denominator];
      document.getElementById(fieldId(field)).textContent = typeof num === "number" && typeof den === "number" && den > 0
        ? (100 * num / den).toLocaleString(lang, { maximumFractionDigits: 1 }) + (data.percent_sign || "%") : "–";
    });
  }

  /* The days a date answer may be: from the start of the period's span (the server says which) to today on
     this phone (every date a form asks is of something that already happened). */
  function dateSpan() {
    var now = new Date();
    var today = now.getFullYear() + "-" + String(now.getMonth() + 1).padStart(2, "0") + "-" +
      String(now.getDate()).padStart(2, "0");
    return [data.earliest_date, today];
  }

  function isRelevant(field) {
    return !field.relevant || PhuhopLogic.evaluate(field.relevant, state.answers) === true;
  }

  function refresh() {
    form.groups.forEach(function (group, index) {
      var visible = 0;
      group.fields.forEach(function (field) {
        var show = isRelevant(field);
        root.querySelector('[data-key="' + field.key + '"]').hidden = !show;
        if (show) { visible += 1; }
      });
      groups[index].dataset.empty = visible ? "" : "1";
    });
    computePercents();
  }

  /* Every problem now: the shared rules, numbers the phone cannot read, and the server's refusals. A box
     with "²" or "1e3" in it is not empty: what it says goes before "needs an answer". */
  function problemsNow() {
    var problems = PhuhopForms.validate(form, state.answers, t, lang, dateSpan()).filter(function (problem) {
      return !unreadable[problem.field];
    });
    var known = {};
    problems.forEach(function (problem) { known[problem.field] = true; });
    Object.keys(unreadable).forEach(function (key) {
      if (unreadable[key]) {
        problems.push({ field: key, message: fields[key].type === "integer" ? t.not_integer : t.not_a_number });
        known[key] = true;
      }
    });
    Object.keys(refused).forEach(function (key) {
      if (JSON.stringify(state.answers[key]) !== refused[key].value) { delete refused[key]; return; }
      if (!known[key]) { problems.push({ field: key, message: refused[key].message }); }
    });
    return problems;
  }

  function groupOf(key) {
    var node = root.querySelector('[data-key="' + key + '"]');
    return node ? groups.indexOf(node.closest("fieldset")) : -1;
  }

  function setError(key, message) {
    var node = root.querySelector('[data-key="' + key + '"]');
    if (!node) { return; }
    node.classList.toggle("invalid", !!message);
    node.querySelector(".field-error").textContent = message || "";
    if (message) { shown[key] = message; } else { delete shown[key]; }
  }

  /* Show the problems (of one screen, or all); answers the first screen that has one, or -1. */
  function showErrors(problems, onlyGroup) {
    var first = -1;
    problems.forEach(function (problem) {
      var index = groupOf(problem.field);
      if (index < 0 || (onlyGroup !== undefined && index !== onlyGroup)) { return; }
      setError(problem.field, problem.message);
      if (first < 0 || index < first) { first = index; }
    });
    return first;
  }

  /* A message shown beside a field goes (or changes) as soon as its answer does. */
  function recheck() {
    var keys = Object.keys(shown);
    if (!keys.length) { return; }
    var now = {};
    problemsNow().forEach(function (problem) { now[problem.field] = problem.message; });
    keys.forEach(function (key) { setError(key, now[key] || null); });
    if (!Object.keys(shown).length) { status(""); }
  }

  function visibleSteps() {
    return groups.map(function (group, index) { return group.dataset.empty ? -1 : index; })
      .filter(function (index) { return index >= 0; });
  }

  function show(index) {
    var steps = visibleSteps();
    if (steps.indexOf(index) < 0) { index = steps.filter(function (i) { return i <= index; }).pop() || steps[0] || 0; }
    current = index;
    groups.forEach(function (group, i) { group.hidden = i !== index; });
    var position = steps.indexOf(index);
    document.getElementById("step").textContent = fill(t.step, { current: position + 1, total: steps.length });
    document.getElementById("progress-bar").style.width = Math.round(100 * (position + 1) / steps.length) + "%";
    back.hidden = position <= 0;
    next.hidden = position === steps.length - 1;
    submit.hidden = !next.hidden;
    window.scrollTo(0, 0);
  }

  function step(direction) {
    var steps = visibleSteps();
    var position = steps.indexOf(current) + direction;
    status("");
    show(steps[Math.max(0, Math.min(steps.length - 1, position))]);
    saveDraft();
  }

  function build() {
    root.textContent = "";
    groups = [];
    shown = {};
    form.groups.forEach(function (group) {
      var fieldset = el("fieldset", { class: "group card" }, [el("legend", { text: text(group.title) })]);
      group.fields.forEach(function (field) { fieldset.append(renderField(field)); });
      groups.push(fieldset);
      root.append(fieldset);
    });
    back = el("button", { type: "button", class: "secondary", id: "back", text: t.back });
    next = el("button", { type: "button", class: "primary", id: "next", text: t.next });
    submit = el("button", { type: "submit", class: "primary", id: "submit", text: t.submit });
    if (data.retired) { submit.disabled = true; }
    back.addEventListener("click", function () { step(-1); });
    next.addEventListener("click", function () {
      if (showErrors(problemsNow(), current) < 0) { step(1); } else { status(t.fix_errors); }
    });
    root.append(el("div", { class: "steps" }, [back, next, submit]));
    refresh();
  }

  /* ---------------------------------------------------------------- sending */

  function describe() {
    return data.identify.map(function (key) {
      var field = fields[key];
      var value = state.answers[key];
      if (value === undefined || value === null || value === "") { return null; }
      if (field.type === "select_one") {
        var choice = field.choices.filter(function (c) { return c.key === value; })[0];
        return choice ? text(choice.label) : String(value);
      }
      if (field.type === "date") { return new Date(value + "T00:00:00").toLocaleDateString(lang); }
      if (field.type === "integer" || field.type === "decimal") { return text(field.label) + ": " + value.toLocaleString(lang); }
      return String(value);
    }).filter(Boolean).join(" · ");
  }

  root.addEventListener("submit", function (event) {
    event.preventDefault();
    if (data.retired) { return; }
    var first = showErrors(problemsNow());
    if (first >= 0) { show(first); status(t.fix_errors); return; }
    submit.disabled = true;
    var photos = Object.keys(fields).filter(function (key) {
      return fields[key].type === "photo" && state.answers[key] && isRelevant(fields[key]);
    }).map(function (key) { return state.answers[key]; });
    var entry = Object.assign(editing || {}, {
      uuid: state.uuid, form_id: form.form_id, form_version: form.version, title: text(form.title),
      label: describe(), answers: state.answers, photos: photos
    });
    var wasEditing = !!editing;
    PhuhopOutbox.enqueue(entry).then(function () {
      return wasEditing ? null : PhuhopStore.remove("drafts", draftKey);
    }).then(function () {
      editing = null;
      refused = {};
      if (wasEditing) { history.replaceState(null, "", location.pathname); }
      start(fresh());
      status(t.submitted);
    });
  });

  /* ---------------------------------------------------------------- starting */

  function start(filling, at) {
    state = filling;
    unreadable = {};
    build();
    show(at || 0);
    submit.disabled = !!data.retired;
  }

  function draftNotice(draft) {
    var notice = document.getElementById("draft-notice");
    notice.textContent = fill(t.draft_continued, { time: when(draft.saved_at) }) + " ";
    var over = el("button", { type: "button", class: "link", id: "start-over", text: t.start_over });
    over.addEventListener("click", function () {
      if (!window.confirm(t.start_over_confirm)) { return; }
      PhuhopStore.photosOf(state.uuid).then(function (photos) {
        return Promise.all(photos.map(function (photo) { return PhuhopStore.remove("photos", photo.id); }));
      }).then(function () { return PhuhopStore.remove("drafts", draftKey); }).then(function () {
        notice.hidden = true;
        start(fresh());
      });
    });
    notice.append(over);
    notice.hidden = false;
  }

  /* A refused form: its answers, and each of the server's messages beside its field. */
  function correct(item) {
    editing = item;
    refused = {};
    var why = PhuhopOutbox.reasons(item);
    var general = why.other;
    why.answers.forEach(function (error) {
      var key = error.field.replace(/^answers\./, "");
      if (fields[key]) {
        refused[key] = { message: error.message, value: JSON.stringify(item.answers[key]) };
      } else {
        general.push(error.message);
      }
    });
    start({ uuid: item.uuid, answers: item.answers, step: 0, saved_at: item.queued_at });
    var first = showErrors(problemsNow());
    show(first >= 0 ? first : 0);
    /* Red fields only when there are some: a refusal about the period is not fixed by changing answers. */
    status(first >= 0 ? [t.fix_refused].concat(general).join(" ")
                      : fill(t.refused_not_answers, { reason: general.join(" ") }));
  }

  var wanted = new URLSearchParams(location.search).get("edit");
  (wanted ? PhuhopStore.get("outbox", wanted) : Promise.resolve(null)).then(function (item) {
    if (item && item.user === data.user && item.form_id === form.form_id && item.form_version === form.version
        && item.status === "rejected") {
      correct(item);
      return;
    }
    if (wanted) { status(t.other_form); }
    return PhuhopStore.get("drafts", draftKey).then(function (draft) {
      if (draft && draft.user === data.user && Object.keys(draft.answers || {}).length) {
        start({ uuid: draft.uuid, answers: draft.answers, step: draft.step, saved_at: draft.saved_at }, draft.step);
        draftNotice(draft);
      } else {
        start(fresh());
      }
    });
  });
})();
