/* The phone's copy of forms/validate.py: the same rules over the same form JSON (the page
   receives `form.to_client_json()`), so that the phone refuses offline exactly what the
   server would refuse. Rules are in validate.py's docstring; a parity test runs one table of
   cases through both. Needs PhuhopLogic (logic.js). Plain ES2017, no dependencies.

   PhuhopForms.validate(form, answers, messages, lang, dates) -> [{field, code, params, message}]
   `messages` maps problem codes to translated texts with %(name)s placeholders (the server
   sends them); `lang` picks the form's own constraint messages (default "vi"); `dates` is
   [earliest, latest] (ISO), the span a date answer may be in (default 2000-01-01 to 2099-12-31). */
(function (root) {
  "use strict";
  var logic = root.PhuhopLogic || (typeof require === "function" ? require("./logic.js") : null);
  var DATE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
  var ANY_DATE = ["2000-01-01", "2099-12-31"];  /* as validate.py */
  var PHOTO = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
  var GEOPOINT_KEYS = ["lat", "lon", "accuracy"];

  function fieldsOf(form) {
    var fields = [];
    form.groups.forEach(function (group) { fields.push.apply(fields, group.fields); });
    return fields;
  }

  function has(object, key) { return Object.prototype.hasOwnProperty.call(object, key); }
  function given(value) { return value !== undefined && value !== null; }

  function isDate(value) {
    if (typeof value !== "string" || !DATE.test(value)) { return false; }
    var y = Number(value.slice(0, 4)), m = Number(value.slice(5, 7)), d = Number(value.slice(8, 10));
    var day = new Date(Date.UTC(2000, m - 1, d));
    day.setUTCFullYear(y);
    return y >= 1 && m >= 1 && m <= 12 && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
  }

  function checkMany(field, value) {
    if (!Array.isArray(value) || !value.every(function (item) { return typeof item === "string"; })) {
      return { value: value, code: "wrong_type" };
    }
    var choices = {};
    field.choices.forEach(function (choice) { choices[choice.key] = choice; });
    if (!value.every(function (item) { return has(choices, item); })) { return { value: value, code: "not_a_choice" }; }
    var chosen = value.filter(function (item, index) { return value.indexOf(item) === index; });
    if (chosen.length > 1 && chosen.some(function (item) { return choices[item].exclusive; })) {
      return { value: value, code: "exclusive_choice" };
    }
    return { value: chosen, code: null };
  }

  function checkGeopoint(field, value) {
    var bad = { value: value, code: "bad_geopoint" };
    if (value === null || typeof value !== "object" || Array.isArray(value)) { return bad; }
    var keys = Object.keys(value);
    if (!has(value, "lat") || !has(value, "lon") ||
        !keys.every(function (key) { return GEOPOINT_KEYS.indexOf(key) >= 0 && logic.isNumber(value[key]); })) {
      return bad;
    }
    var lat = value.lat, lon = value.lon, accuracy = has(value, "accuracy") ? value.accuracy : 0;
    if (!(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180 && accuracy >= 0)) { return bad; }
    var box = field.bounds;
    if (!(lat >= box.lat_min && lat <= box.lat_max && lon >= box.lon_min && lon <= box.lon_max)) {
      return { value: value, code: "outside_area" };
    }
    return { value: value, code: null };
  }

  function day(iso) { return iso.slice(8, 10) + "/" + iso.slice(5, 7) + "/" + iso.slice(0, 4); }

  function check(field, value, dates) {
    var kind = field.type;
    if (kind === "integer" || kind === "decimal") {
      if (typeof value === "number" && Math.abs(value) > Number.MAX_SAFE_INTEGER) { return { value: value, code: "too_large" }; }
      if (!logic.isNumber(value)) { return { value: value, code: kind === "integer" ? "not_integer" : "not_a_number" }; }
      if (kind === "integer" && !Number.isInteger(value)) { return { value: value, code: "not_integer" }; }
      if (given(field.min) && value < field.min) { return { value: value, code: "below_min", params: { min: field.min } }; }
      if (given(field.max) && value > field.max) { return { value: value, code: "above_max", params: { max: field.max } }; }
      return { value: value, code: null };
    }
    if (kind === "yes_no") { return { value: value, code: typeof value === "boolean" ? null : "wrong_type" }; }
    if (kind === "select_one") {
      if (typeof value !== "string") { return { value: value, code: "wrong_type" }; }
      var known = field.choices.some(function (choice) { return choice.key === value; });
      return { value: value, code: known ? null : "not_a_choice" };
    }
    if (kind === "select_many") { return checkMany(field, value); }
    if (kind === "text") {
      if (typeof value !== "string") { return { value: value, code: "wrong_type" }; }
      var text = value.trim();
      if (Array.from(text).length > field.max_length) {
        return { value: value, code: "too_long", params: { max_length: field.max_length } };
      }
      return { value: text, code: null };
    }
    if (kind === "date") {
      if (!isDate(value)) { return { value: value, code: "bad_date" }; }
      if (value < dates[0] || value > dates[1]) {
        return { value: value, code: "date_out_of_range", params: { earliest: day(dates[0]), latest: day(dates[1]) } };
      }
      return { value: value, code: null };
    }
    if (kind === "geopoint") { return checkGeopoint(field, value); }
    var ok = typeof value === "string" && Array.from(value).length <= field.max_length && PHOTO.test(value);
    return { value: value, code: ok ? null : "bad_photo" };
  }

  function render(code, params, texts, messages, lang) {
    if (texts) { return texts[lang] || texts.vi; }
    var text = (messages && messages[code]) || code;
    Object.keys(params).forEach(function (name) { text = text.split("%(" + name + ")s").join(String(params[name])); });
    return text;
  }

  function validate(form, answers, messages, lang, dates) {
    lang = lang || "vi";
    dates = dates || ANY_DATE;
    var problems = [];
    function problem(key, code, params, texts) {
      params = params || {};
      problems.push({ field: key, code: code, params: params, message: render(code, params, texts, messages, lang) });
    }
    var fields = fieldsOf(form);
    var keys = fields.map(function (field) { return field.key; });
    Object.keys(answers).sort().forEach(function (key) { if (keys.indexOf(key) < 0) { problem(key, "unknown_field"); } });
    var seen = {};
    fields.forEach(function (field) {
      if (given(field.relevant) && logic.evaluate(field.relevant, seen) !== true) { return; }
      var value = has(answers, field.key) ? answers[field.key] : null;
      if (field.type === "percent" || field.type === "note") {
        if (!logic.isMissing(value)) {
          problem(field.key, "read_only");
        } else if (field.type === "percent") {
          var numerator = has(seen, field.numerator) ? seen[field.numerator] : null;
          var denominator = has(seen, field.denominator) ? seen[field.denominator] : null;
          if (numerator !== null && denominator) { seen[field.key] = 100 * numerator / denominator; }
        }
        return;
      }
      if (logic.isMissing(value)) {
        if (field.required) { problem(field.key, "required"); }
        return;
      }
      var result = check(field, value, dates);
      if (result.code === null && given(field.constraint)) {
        var scope = Object.assign({}, seen);
        scope[field.key] = result.value;
        if (logic.evaluate(field.constraint, scope) === false) { result = { value: value, code: "constraint" }; }
      }
      if (result.code !== null) {
        problem(field.key, result.code, result.params, result.code === "constraint" ? field.constraint_message : null);
        return;
      }
      seen[field.key] = result.value;
    });
    return problems;
  }

  var api = { validate: validate };
  if (typeof module !== "undefined" && module.exports) { module.exports = api; }
  root.PhuhopForms = api;
})(typeof window !== "undefined" ? window : typeof self !== "undefined" ? self : this);
