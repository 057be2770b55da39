/* The fill-a-form page. Renders the form version from its JSON, one group per screen on a phone,
   saves a draft on the phone at every keystroke, validates with the same rules as the server
   (PhuhopForms.validate over the same JSON) and hands the finished answers to the outbox. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("page-data").textContent);
  var form = data.form;
  var lang = data.language;
  var t = data.messages;
  var draftKey = "phuhop:draft:" + data.user + ":" + form.form_id + ":" + form.version;
  var answers = loadDraft();
  var current = 0;
  var root = document.getElementById("survey");
  var groups = [];

  function text(texts) { return texts ? (texts[lang] || texts.vi || texts.en || "") : ""; }
  function loadDraft() { try { return JSON.parse(localStorage.getItem(draftKey) || "{}"); } catch (e) { return {}; } }
  function saveDraft() { localStorage.setItem(draftKey, JSON.stringify(answers)); }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") { node.textContent = attrs[name]; } else { node.setAttribute(name, attrs[name]); }
    });
    (children || []).forEach(function (child) { if (child) { node.append(child); } });
    return node;
  }
  function fieldId(field, suffix) { return "f-" + field.key + (suffix === undefined ? "" : "-" + suffix); }

  function setAnswer(key, value) {
    if (value === "" || value === null || value === undefined || (Array.isArray(value) && !value.length)) {
      delete answers[key];
    } else {
      answers[key] = value;
    }
    saveDraft();
    refresh();
  }

  function numberInput(field) {
    var input = el("input", { id: fieldId(field), type: "number", inputmode: field.type === "integer" ? "numeric" : "decimal",
                              step: field.type === "integer" ? "1" : "any" });
    if (field.min !== undefined && field.min !== null) { input.min = field.min; }
    if (field.max !== undefined && field.max !== null) { input.max = field.max; }
    if (answers[field.key] !== undefined) { input.value = answers[field.key]; }
    input.addEventListener("input", function () {
      var raw = input.value.trim();
      var value = raw === "" ? null : Number(raw);
      setAnswer(field.key, raw !== "" && isNaN(value) ? raw : value);
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
      var chosen = answers[field.key];
      input.checked = many ? (chosen || []).indexOf(choice.key) >= 0 : chosen === choice.key;
      input.addEventListener("change", function () {
        if (!many) { setAnswer(field.key, choice.key); return; }
        var list = (answers[field.key] || []).filter(function (k) { return k !== choice.key; });
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
    if (field.max_length) { input.maxLength = field.max_length; }
    if (answers[field.key] !== undefined) { input.value = answers[field.key]; }
    input.addEventListener("input", function () { setAnswer(field.key, input.value.trim() === "" ? null : input.value); });
    return input;
  }

  function geopointInputs(field) {
    var value = answers[field.key] || {};
    var lat = el("input", { id: fieldId(field), type: "number", step: "any", inputmode: "decimal", placeholder: "lat" });
    var lon = el("input", { id: fieldId(field, "lon"), type: "number", step: "any", inputmode: "decimal", placeholder: "lon" });
    if (value.lat !== undefined) { lat.value = value.lat; }
    if (value.lon !== undefined) { lon.value = value.lon; }
    function typed() {
      if (lat.value === "" && lon.value === "") { setAnswer(field.key, null); return; }
      setAnswer(field.key, { lat: Number(lat.value), lon: Number(lon.value) });
    }
    lat.addEventListener("input", typed);
    lon.addEventListener("input", typed);
    var gps = el("button", { type: "button", class: "secondary", text: t.use_gps });
    gps.addEventListener("click", function () {
      if (!navigator.geolocation) { alert(t.gps_failed); return; }
      navigator.geolocation.getCurrentPosition(function (position) {
        lat.value = position.coords.latitude.toFixed(6);
        lon.value = position.coords.longitude.toFixed(6);
        setAnswer(field.key, { lat: Number(lat.value), lon: Number(lon.value),
                               accuracy: Math.round(position.coords.accuracy) });
      }, function () { alert(t.gps_failed); }, { enableHighAccuracy: true, timeout: 20000 });
    });
    return el("div", {}, [lat, lon, gps]);
  }

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
    else if (field.type === "photo") { control = textInput(field, "text"); }
    else { control = textInput(field, field.type); }
    wrap.append(label, control, el("p", { class: "field-error", id: fieldId(field, "error"), "aria-live": "polite" }));
    return wrap;
  }

  function computePercents() {
    form.groups.forEach(function (group) {
      group.fields.forEach(function (field) {
        if (field.type !== "percent") { return; }
        var out = document.getElementById(fieldId(field));
        var num = answers[field.numerator];
        var den = answers[field.denominator];
        out.textContent = typeof num === "number" && typeof den === "number" && den > 0
          ? (100 * num / den).toLocaleString(lang, { maximumFractionDigits: 1 }) + " %" : "–";
      });
    });
  }

  function isRelevant(field) {
    return !field.relevant || PhuhopLogic.evaluate(field.relevant, answers) === true;
  }

  function refresh() {
    form.groups.forEach(function (group, index) {
      var visibleFields = 0;
      group.fields.forEach(function (field) {
        var node = root.querySelector('[data-key="' + field.key + '"]');
        var show = isRelevant(field);
        node.hidden = !show;
        if (show) { visibleFields += 1; }
      });
      groups[index].dataset.empty = visibleFields ? "" : "1";
    });
    computePercents();
  }

  function showErrors(problems, onlyGroup) {
    root.querySelectorAll(".field").forEach(function (node) {
      node.classList.remove("invalid");
      node.querySelector(".field-error") && (node.querySelector(".field-error").textContent = "");
    });
    var firstGroup = null;
    problems.forEach(function (problem) {
      var node = root.querySelector('[data-key="' + problem.field + '"]');
      if (!node) { return; }
      var groupIndex = groups.indexOf(node.closest("fieldset"));
      if (onlyGroup !== undefined && groupIndex !== onlyGroup) { return; }
      node.classList.add("invalid");
      node.querySelector(".field-error").textContent = problem.message;
      if (firstGroup === null || groupIndex < firstGroup) { firstGroup = groupIndex; }
    });
    return firstGroup;
  }

  function problemsNow() { return PhuhopForms.validate(form, answers, t, lang); }

  function show(index) {
    current = index;
    groups.forEach(function (group, i) { group.style.display = i === index ? "" : "none"; });
    document.getElementById("step").textContent = t.step.replace("%(current)s", index + 1).replace("%(total)s", groups.length);
    document.getElementById("progress-bar").style.width = Math.round(100 * (index + 1) / groups.length) + "%";
    back.disabled = index === 0;
    next.hidden = index === groups.length - 1;
    window.scrollTo(0, 0);
  }

  function step(direction) {
    var target = current + direction;
    while (target > 0 && target < groups.length - 1 && groups[target].dataset.empty) { target += direction; }
    show(Math.max(0, Math.min(groups.length - 1, target)));
  }

  form.groups.forEach(function (group) {
    var fieldset = el("fieldset", { class: "group card" }, [el("legend", { text: text(group.title) })]);
    group.fields.forEach(function (field) { fieldset.append(renderField(field)); });
    groups.push(fieldset);
    root.append(fieldset);
  });
  var back = el("button", { type: "button", class: "secondary nav", text: "‹" });
  var next = el("button", { type: "button", class: "secondary nav", text: "›" });
  var submit = el("button", { type: "submit", class: "primary", id: "submit", text: t.submit });
  back.addEventListener("click", function () { step(-1); });
  next.addEventListener("click", function () {
    if (showErrors(problemsNow(), current) === null) { step(1); } else { status(t.fix_errors); }
  });
  root.append(el("div", { class: "steps" }, [back, next]), submit);

  function status(message) { document.getElementById("connection").textContent = message; }
  function connection() {
    document.body.classList.toggle("offline", !navigator.onLine);
    status(navigator.onLine ? t.online : t.offline);
  }
  window.addEventListener("online", connection);
  window.addEventListener("offline", connection);

  root.addEventListener("submit", function (event) {
    event.preventDefault();
    if (data.retired) { return; }
    var problems = problemsNow();
    var first = showErrors(problems);
    if (first !== null) { show(first); status(t.fix_errors); return; }
    submit.disabled = true;
    PhuhopOutbox.enqueue({ form_id: form.form_id, form_version: form.version, title: text(form.title),
                           answers: answers });
    localStorage.removeItem(draftKey);
    answers = {};
    status(t.submitted);
    root.reset();
    root.querySelectorAll("output").forEach(function (o) { o.textContent = "–"; });
    refresh();
    show(0);
    submit.disabled = false;
  });

  refresh();
  show(0);
  connection();
})();
