/* One ECharts chart in an element by id, drawn as SVG and resized with the window.
   Pages that use it load the vendored ECharts first; every chart has a table beside it. */
window.openDayChart = function (id, option) {
  var node = document.getElementById(id);
  if (!node || typeof echarts === "undefined") return null;
  var c = echarts.init(node, null, { renderer: "svg" });
  c.setOption(option);
  window.addEventListener("resize", function () { c.resize(); });
  return c;
};
