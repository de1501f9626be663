/* Charts of the evaluation dashboard; the tables on the page carry the same figures. */
(function () {
  var el = document.getElementById("evaluation-data");
  if (!el || typeof echarts === "undefined") return;
  var data = JSON.parse(el.textContent);
  var chart = window.openDayChart;
  var series = data.series.map(function (s) {
    return { name: s.name, type: "bar", stack: "points", barMaxWidth: 18, data: s.data };
  });
  series.push({ name: "加减分", type: "bar", stack: "points", barMaxWidth: 18, data: data.adjustments });
  chart("chart-units", {
    animation: false, legend: { top: 0, type: "scroll" }, tooltip: { trigger: "axis" },
    grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true },
    xAxis: { type: "value" },
    yAxis: { type: "category", inverse: true, data: data.units, axisLabel: { width: 160, overflow: "truncate" } },
    series: series
  });
  var m = data.months;
  chart("chart-months", {
    animation: false, color: ["#7f8c8d", "#c0392b"], legend: { top: 0 }, tooltip: { trigger: "axis" },
    grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: m.months },
    yAxis: [{ type: "value", minInterval: 1, name: "场" }, { type: "value", minInterval: 1, name: "人次" }],
    series: [
      { name: "举办活动", type: "bar", barMaxWidth: 24, data: m.events },
      { name: "签到人次", type: "line", yAxisIndex: 1, data: m.participants }
    ]
  });
})();
