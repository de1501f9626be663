/* Keyboard-only paper entry: Enter moves to the next field, Enter on the last (or Ctrl+Enter
   anywhere) saves. In a textarea, Enter moves on too; Shift+Enter keeps a new line. */
(function () {
  var form = document.getElementById("paper-form");
  if (!form) return;
  var fields = Array.prototype.slice.call(form.querySelectorAll("[data-next]"));
  form.addEventListener("keydown", function (e) {
    if (e.key !== "Enter") return;
    if (e.ctrlKey || e.metaKey) {
      e.preventDefault();
      form.submit();
      return;
    }
    if (e.target.tagName === "TEXTAREA" && e.shiftKey) return;
    var i = fields.indexOf(e.target);
    if (i < 0) return;
    e.preventDefault();
    if (i === fields.length - 1) {
      form.submit();
    } else {
      fields[i + 1].focus();
      if (fields[i + 1].select) fields[i + 1].select();
    }
  });
  var firstError = form.querySelector(".has-error input, .has-error textarea");
  if (firstError) firstError.focus();
})();
