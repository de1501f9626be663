/* Confirmations and print buttons without inline handlers (the Content-Security-Policy runs
   none). Loaded on every page; ES5 for WeChat's WebView.
     <form data-confirm="确定删除？">     asks before the form is sent;
     <button data-confirm="确定删除？">   asks before the button acts;
     <button type="button" data-print>   prints the page. */
(function () {
  function ask(el, event) {
    var text = el.getAttribute("data-confirm");
    if (text && !window.confirm(text)) {
      event.preventDefault();
      event.stopPropagation();
      return false;
    }
    return true;
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form && form.hasAttribute && form.hasAttribute("data-confirm")) ask(form, event);
  }, true);
  document.addEventListener("click", function (event) {
    var el = event.target;
    while (el && el.nodeType === 1 && !el.hasAttribute("data-confirm") && !el.hasAttribute("data-print")) {
      el = el.parentNode;
    }
    if (!el || el.nodeType !== 1 || el.tagName === "FORM") return;
    if (el.hasAttribute("data-print")) {
      event.preventDefault();
      window.print();
      return;
    }
    ask(el, event);
  }, true);
})();
