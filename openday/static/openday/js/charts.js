/* One ECharts chart in an element by id, drawn as SVG and resized with the window.
   Pages that use it load the vendored ECharts first; every chart has a table beside it.
   The element's height comes from data-height (and data-min-height), in pixels: the
   Content-Security-Policy allows no style="" attribute, and scripts may set element.style.
   Tooltips are drawn as rich text inside the chart: ECharts' HTML tooltips are markup with
   style attributes, which the policy refuses. */
window.openDayChartSize = function (node) {
  var h = parseInt(node.getAttribute("data-height"), 10);
  var min = parseInt(node.getAttribute("data-min-height"), 10) || 0;
  if (h || min) node.style.height = Math.max(h || 0, min) + "px";
};
window.openDayChartOptions = function (option) {
  if (option.tooltip) option.tooltip.renderMode = "richText";
  return option;
};
window.openDayChart = function (id, option) {
  var node = document.getElementById(id);
  if (!node || typeof echarts === "undefined") return null;
  window.openDayChartSize(node);
  var c = echarts.init(node, null, { renderer: "svg" });
  c.setOption(window.openDayChartOptions(option));
  window.addEventListener("resize", function () { c.resize(); });
  return c;
};
