/* Questionnaire answer page. The page is a plain form that works without JavaScript; this
   only enhances it, in ES5 for the older WebViews inside WeChat:

   - questions with a display condition (data-show-if) are shown and hidden as answers change,
     chains included; a hidden question's inputs are disabled so they are not submitted (the
     server ignores hidden answers anyway);
   - a half-filled answer survives a reload: the form is kept in localStorage by survey id and
     restored on load; the thank-you page (data-survey-done) clears it. Name, phone and consent
     are personal data and are not kept on the device;
   - the error summary gets focus, option rows show their checked state, long answers count
     their characters, and the submit button is disabled once pressed. */
(function () {
  "use strict";
  var PREFIX = "openday-survey-";
  var KEEP_DAYS = 30;
  var SKIP = { csrfmiddlewaretoken: 1, name: 1, phone: 1, consent: 1 };

  function storage() {
    try {
      var s = window.localStorage;
      s.setItem("__openday", "1");
      s.removeItem("__openday");
      return s;
    } catch (e) {
      return null; // private browsing, storage disabled
    }
  }
  var store = storage();

  function each(list, fn) {
    for (var i = 0; i < list.length; i++) fn(list[i], i);
  }

  // The thank-you page and the "already answered" message: the draft is no longer needed.
  each(document.querySelectorAll("[data-survey-done]"), function (el) {
    if (store) store.removeItem(PREFIX + el.getAttribute("data-survey-done"));
  });

  var form = document.getElementById("survey-form");
  if (!form) return;
  var key = PREFIX + form.getAttribute("data-survey-id");

  // --- Conditional questions ------------------------------------------------------------------

  var questions = [];
  each(form.querySelectorAll("[data-qid]"), function (el) {
    var cond = null;
    var raw = el.getAttribute("data-show-if");
    if (raw) {
      try { cond = JSON.parse(raw); } catch (e) { cond = null; }
    }
    questions.push({ el: el, id: String(el.getAttribute("data-qid")), cond: cond });
  });

  function picked(id) {
    var out = [];
    each(form.querySelectorAll('input[name="q' + id + '"]'), function (input) {
      if (input.checked) out.push(parseInt(input.value, 10));
    });
    return out;
  }

  function setShown(q, show) {
    q.el.style.display = show ? "" : "none";
    if (show) q.el.removeAttribute("hidden");
    else q.el.setAttribute("hidden", "hidden");
    each(q.el.querySelectorAll("input, textarea, select"), function (input) {
      input.disabled = !show;
    });
  }

  // In page order: a condition names an earlier question, which is settled by then.
  function applyConditions() {
    var shown = {};
    each(questions, function (q) {
      var show = true;
      if (q.cond) {
        show = false;
        var target = String(q.cond.question);
        if (shown[target]) {
          var codes = picked(target);
          each(q.cond.values || [], function (v) {
            if (codes.indexOf(parseInt(v, 10)) >= 0) show = true;
          });
        }
      }
      shown[q.id] = show;
      setShown(q, show);
    });
  }

  // --- Small helpers for the look ---------------------------------------------------------------

  function markChecked() {
    each(form.querySelectorAll(".opt input"), function (input) {
      var label = input.parentNode;
      var cls = (" " + label.className + " ").replace(" is-checked ", " ");
      label.className = (cls + (input.checked ? " is-checked" : "")).replace(/^\s+|\s+$/g, "");
    });
  }

  function updateCounters() {
    each(form.querySelectorAll("[data-count-for]"), function (span) {
      var field = document.getElementById(span.getAttribute("data-count-for"));
      if (field) span.textContent = "已输入 " + field.value.length + " 字";
    });
  }

  // --- Keeping a half-filled answer ----------------------------------------------------------------

  function collect() {
    var fields = {};
    each(form.elements, function (el) {
      var n = el.name;
      if (!n || SKIP[n]) return;
      if (el.type === "radio" || el.type === "checkbox") {
        if (!fields[n]) fields[n] = [];
        if (el.checked) fields[n].push(el.value);
      } else if (el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.type === "text") {
        fields[n] = [el.value];
      }
    });
    return fields;
  }

  function save() {
    if (!store) return;
    try {
      store.setItem(key, JSON.stringify({ saved: new Date().getTime(), fields: collect() }));
    } catch (e) { /* storage full: keep going without it */ }
  }

  function restore() {
    if (!store) return false;
    var data = null;
    try { data = JSON.parse(store.getItem(key) || "null"); } catch (e) { data = null; }
    if (!data || !data.fields) return false;
    if (new Date().getTime() - (data.saved || 0) > KEEP_DAYS * 86400000) {
      store.removeItem(key);
      return false;
    }
    var fields = data.fields;
    var any = false;
    each(form.elements, function (el) {
      var n = el.name;
      if (!n || SKIP[n] || !Object.prototype.hasOwnProperty.call(fields, n)) return;
      var values = fields[n] || [];
      if (el.type === "radio" || el.type === "checkbox") {
        el.checked = values.indexOf(el.value) >= 0;
        if (el.checked) any = true;
      } else if (el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.type === "text") {
        el.value = values.length ? values[0] : "";
        if (el.value) any = true;
      }
    });
    return any;
  }

  function refresh() {
    applyConditions();
    markChecked();
    updateCounters();
  }

  // Saved on every keystroke (a small JSON write), so a reload right after typing keeps it.
  form.addEventListener("change", function () {
    refresh();
    save();
  });
  form.addEventListener("input", function () {
    updateCounters();
    save();
  });

  var banner = document.getElementById("survey-restored");
  var reset = document.getElementById("survey-reset");
  // A fresh page restores the draft; a page the server sent back with errors already shows
  // what was typed, so it is only saved again.
  if (form.getAttribute("data-fresh") === "1" && restore() && banner) {
    banner.removeAttribute("hidden");
  }
  refresh();
  if (form.getAttribute("data-fresh") !== "1") save();
  if (reset) {
    reset.addEventListener("click", function () {
      if (store) store.removeItem(key);
      form.reset();
      refresh();
      if (banner) banner.setAttribute("hidden", "hidden");
    });
  }

  // --- Errors and submitting -------------------------------------------------------------------------

  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
    each(summary.querySelectorAll("a[href^='#']"), function (link) {
      link.addEventListener("click", function (ev) {
        var target = document.getElementById(link.getAttribute("href").slice(1));
        if (!target) return;
        ev.preventDefault();
        var box = target;
        while (box && box !== form && !box.getAttribute("data-qid")) box = box.parentNode;
        if (box && box !== form && box.scrollIntoView) box.scrollIntoView();
        target.focus();
      });
    });
  }

  var button = document.getElementById("survey-submit");
  form.addEventListener("submit", function () {
    save();
    if (!button) return;
    setTimeout(function () {
      button.disabled = true;
      button.textContent = "正在提交…";
    }, 0);
  });
  // Coming back with the browser's back button: the page may come from the cache.
  window.addEventListener("pageshow", function () {
    if (button) {
      button.disabled = false;
      button.textContent = "提交问卷";
    }
  });
})();
