/* Survey results: one ECharts chart per question, refreshed every 5 s from results.json.
   The tables under each chart carry the same figures for screen readers and printing.
   Needs charts.js (chart height from data-height, rich-text tooltips). */
(function () {
  var script = document.getElementById("results-script");
  var dataEl = document.getElementById("results-data");
  if (!script || !dataEl || typeof echarts === "undefined") return;
  var url = script.getAttribute("data-url");
  var charts = {};
  var RED = "#c0392b";
  var PALETTE = ["#c0392b", "#e67e22", "#f1c40f", "#7f8c8d", "#34495e", "#16a085", "#2980b9",
                 "#8e44ad", "#27ae60", "#d35400", "#2c3e50"];

  function barOption(q) {
    var labels = [], counts = [];
    for (var i = 0; i < q.options.length; i++) {
      labels.push(q.options[i].label);
      counts.push(q.options[i].count);
    }
    return {
      animation: false,
      color: [RED],
      grid: { left: 8, right: 96, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: labels, inverse: true,
               axisLabel: { width: 160, overflow: "truncate" } },
      series: [{ type: "bar", data: counts, barMaxWidth: 22,
                 label: { show: true, position: "right", formatter: function (p) {
                   var o = q.options[p.dataIndex];
                   return o.count + "（" + o.percent + "%）";
                 } } }]
    };
  }

  function matrixOption(q) {
    var rows = [], series = [];
    var scale = q.rows.length ? q.rows[0].options : [];
    for (var r = 0; r < q.rows.length; r++) rows.push(q.rows[r].label);
    for (var s = 0; s < scale.length; s++) {
      var data = [];
      for (var k = 0; k < q.rows.length; k++) data.push(q.rows[k].options[s].count);
      series.push({ type: "bar", stack: "all", name: scale[s].label, data: data, barMaxWidth: 22 });
    }
    return {
      animation: false,
      color: PALETTE,
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: rows, inverse: true },
      series: series
    };
  }

  function render(data) {
    for (var i = 0; i < data.questions.length; i++) {
      var q = data.questions[i];
      var el = document.querySelector('[data-chart="' + q.id + '"]');
      if (!el) continue;
      if (!charts[q.id]) {
        window.openDayChartSize(el);
        charts[q.id] = echarts.init(el, null, { renderer: "svg" });
      }
      var option = q.kind === "matrix" ? matrixOption(q) : barOption(q);
      charts[q.id].setOption(window.openDayChartOptions(option), true);
      var n = document.querySelector('[data-respondents="' + q.id + '"]');
      if (n) n.textContent = q.respondents;
      var avg = document.querySelector('[data-average="' + q.id + '"]');
      if (avg && q.average !== null && q.average !== undefined) avg.textContent = q.average;
    }
    var set = function (id, v) { var e = document.getElementById(id); if (e) e.textContent = v; };
    set("total-responses", data.responses);
    set("n-web", data.by_channel.web);
    set("n-api", data.by_channel.api);
    set("n-paper", data.by_channel.paper);
  }

  render(JSON.parse(dataEl.textContent));
  window.addEventListener("resize", function () {
    for (var id in charts) if (charts.hasOwnProperty(id)) charts[id].resize();
  });

  function refresh() {
    if (document.hidden) return;
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onload = function () {
      if (xhr.status !== 200) return;
      render(JSON.parse(xhr.responseText));
      var t = new Date();
      var stamp = document.getElementById("updated-at");
      if (stamp) stamp.textContent = "最近更新：" + t.toTimeString().slice(0, 8);
    };
    xhr.send();
  }
  window.setInterval(refresh, 5000);
  window.openDayResults = { charts: charts, refresh: refresh };
})();
