/* The organization list: indent each name by its depth below the list's top
   (<table data-top-depth="2"> … <td data-depth="4">). Without scripts the list is flat. */
(function () {
  var tables = document.querySelectorAll("table[data-top-depth]");
  for (var t = 0; t < tables.length; t++) {
    var top = parseInt(tables[t].getAttribute("data-top-depth"), 10) || 0;
    var cells = tables[t].querySelectorAll("td[data-depth]");
    for (var i = 0; i < cells.length; i++) {
      var depth = parseInt(cells[i].getAttribute("data-depth"), 10) || 0;
      cells[i].style.paddingLeft = Math.max(depth - top, 0) + 0.5 + "em";
    }
  }
})();
