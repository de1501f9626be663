/* The answer form on an opinion's page (ES5 for WeChat's WebView; no inline handlers, the CSP
   runs none). Enhancements only: without this script the drafts and the similar answers are
   shown on the page and their links fill the form on the server (?draft=… / ?ref=…).
     <form data-answer-form>                              the answer form (decision + answer);
     <details data-draft-code="adopted" data-draft-text="…"> one draft per decision;
     <a data-use-draft="adopted">                         "使用此稿": that draft into the form;
     <a data-use-answer="…">                              "参考此答复": that answer into the form.
   Picking a decision puts its draft in the textarea when the textarea is empty or still holds
   an unchanged draft; what the handler wrote is never replaced without asking. */
(function () {
  var form = document.querySelector("form[data-answer-form]");
  if (!form || !form.elements.answer) return;
  var area = form.elements.answer;
  var drafts = {};
  var holders = document.querySelectorAll("[data-draft-code]");
  for (var i = 0; i < holders.length; i++) {
    drafts[holders[i].getAttribute("data-draft-code")] = holders[i].getAttribute("data-draft-text") || "";
  }

  function norm(text) {
    return (text || "").replace(/\r\n?/g, "\n").replace(/^\s+|\s+$/g, "");
  }

  function untouched() {
    var value = norm(area.value);
    if (!value) return true;
    for (var code in drafts) {
      if (Object.prototype.hasOwnProperty.call(drafts, code) && norm(drafts[code]) === value) return true;
    }
    return false;
  }

  function put(text) {
    area.value = text;
    var lines = text.split("\n").length + 1;
    if (lines > area.rows) area.rows = Math.min(lines, 24);  // the whole draft in view
  }

  function pick(code) {
    var radios = form.querySelectorAll('input[name="decision"]');
    for (var k = 0; k < radios.length; k++) radios[k].checked = radios[k].value === code;
  }

  function fill(text) {
    if (!untouched() && norm(area.value) !== norm(text) &&
        !window.confirm("答复内容中已有您填写的文字，确定替换吗？")) {
      return false;
    }
    put(text);
    area.focus();
    if (area.setSelectionRange) area.setSelectionRange(0, 0);
    if (area.scrollIntoView) area.scrollIntoView({ block: "center" });
    return true;
  }

  form.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.name === "decision" && drafts[el.value] !== undefined && untouched()) {
      put(drafts[el.value]);
    }
  });

  document.addEventListener("click", function (event) {
    var el = event.target;
    while (el && el.nodeType === 1 && !el.hasAttribute("data-use-draft") && !el.hasAttribute("data-use-answer")) {
      el = el.parentNode;
    }
    if (!el || el.nodeType !== 1) return;
    event.preventDefault();
    if (el.hasAttribute("data-use-draft")) {
      var code = el.getAttribute("data-use-draft");
      if (drafts[code] !== undefined && fill(drafts[code])) pick(code);
    } else {
      fill(el.getAttribute("data-use-answer") || "");
    }
  });
})();

/* The opinion list's bulk bar: a "select all" box ticks every row box of the bulk form. */
(function () {
  var all = document.querySelector("input[data-check-all]");
  if (!all) return;
  all.removeAttribute("hidden");
  all.addEventListener("change", function () {
    var boxes = document.querySelectorAll('input[name="ids"][form="' + all.getAttribute("data-check-all") + '"]');
    for (var i = 0; i < boxes.length; i++) boxes[i].checked = all.checked;
  });
})();
