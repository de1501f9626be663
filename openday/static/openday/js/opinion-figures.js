/* The opinions dashboard's charts; the tables beside them carry the same figures. */
(function () {
  var el = document.getElementById("figures-data");
  if (!el || typeof echarts === "undefined") return;
  var data = JSON.parse(el.textContent);
  var RED = "#c0392b", GREY = "#7f8c8d";
  var chart = window.openDayChart;
  var months = data.months.map(function (m) { return m.month; });
  chart("chart-months", {
    animation: false, color: [RED, GREY], legend: { top: 0 }, tooltip: { trigger: "axis" },
    grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: months }, yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: "收到", type: "line", data: data.months.map(function (m) { return m.received; }) },
      { name: "答复", type: "line", data: data.months.map(function (m) { return m.answered; }) }
    ]
  });
  chart("chart-decisions", {
    animation: false, color: [RED], tooltip: {},
    grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", inverse: true, data: data.decisions.map(function (d) { return d.label; }) },
    series: [{ type: "bar", barMaxWidth: 22, label: { show: true, position: "right" },
               data: data.decisions.map(function (d) { return d.count; }) }]
  });
  var units = data.groups.unit;
  chart("chart-units", {
    animation: false, color: [GREY, RED], legend: { top: 0 }, tooltip: { trigger: "axis" },
    grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", inverse: true, data: units.map(function (u) { return u.label; }),
             axisLabel: { width: 180, overflow: "truncate" } },
    series: [
      { name: "收到", type: "bar", barMaxWidth: 16, data: units.map(function (u) { return u.received; }) },
      { name: "按期答复", type: "bar", barMaxWidth: 16, data: units.map(function (u) { return u.on_time; }) }
    ]
  });
})();
