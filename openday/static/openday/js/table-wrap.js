/* Wide tables scroll sideways inside their own .table-wrap box (app.css), never the page.
   A box that does scroll becomes a named, focusable region, so that keyboard users can reach
   it with Tab and scroll it with the arrow keys (WCAG 2.1.1; axe "scrollable-region-focusable").
   A box that fits is left alone: no extra Tab stop. Re-checked when the window is resized and
   when a <details> opens. Loaded on every page; ES5 for WeChat's WebView. */
(function () {
  "use strict";
  var MARK = "data-table-scrolls";

  function text(el) {
    return el ? (el.textContent || "").replace(/\s+/g, " ").replace(/^\s+|\s+$/g, "") : "";
  }

  // The table's caption, else the heading of the section (or summary of the details) it is in.
  function nameOf(wrap) {
    var caption = wrap.querySelector("caption");
    if (text(caption)) return text(caption);
    for (var el = wrap.parentNode; el && el.nodeType === 1; el = el.parentNode) {
      var heading = el.querySelector("h1, h2, h3, summary");
      if (text(heading)) return text(heading);
    }
    return "表格";
  }

  function update() {
    var wraps = document.querySelectorAll(".table-wrap");
    for (var i = 0; i < wraps.length; i++) {
      var wrap = wraps[i];
      var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      if (scrolls && !wrap.hasAttribute(MARK)) {
        wrap.setAttribute(MARK, "");
        wrap.setAttribute("tabindex", "0");
        wrap.setAttribute("role", "region");
        wrap.setAttribute("aria-label", nameOf(wrap) + "（表格，可左右滚动）");
      } else if (!scrolls && wrap.hasAttribute(MARK)) {
        wrap.removeAttribute(MARK);
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
      }
    }
  }

  var timer = null;
  function later() {
    if (timer) window.clearTimeout(timer);
    timer = window.setTimeout(update, 150);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", update);
  } else {
    update();
  }
  window.addEventListener("load", update);
  window.addEventListener("resize", later);
  document.addEventListener("toggle", later, true); // <details> opening
})();
