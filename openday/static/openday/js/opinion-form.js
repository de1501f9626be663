/* Enhancements only (ES5 for WeChat's WebView): a live character counter, the person fields
   dimmed when "匿名提交" is ticked, focus on the error summary. The form works without this. */
(function () {
  var area = document.getElementById("f-content");
  var count = document.getElementById("f-content-count");
  if (area && count) {
    var limit = parseInt(area.getAttribute("data-limit"), 10);
    var show = function () {
      var n = area.value.length;
      count.textContent = "已输入 " + n + " 字，还可输入 " + Math.max(limit - n, 0) + " 字";
      count.className = "op-counter" + (n > limit ? " error" : "");
    };
    area.addEventListener("input", show);
    show();
  }
  var anon = document.getElementById("f-anonymous");
  var person = document.getElementById("op-person");
  if (anon && person) {
    var apply = function () {
      var inputs = person.querySelectorAll("input");
      for (var i = 0; i < inputs.length; i++) inputs[i].disabled = anon.checked;
      person.className = anon.checked ? "op-off" : "";
    };
    anon.addEventListener("change", apply);
    apply();
  }
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
