/* The dashboard's own charts (sentiment and delight over time, key drivers), drawn from the
   JSON the server rendered; kizuna.js draws the NPS and channel charts. No build step, no
   inline script (the Content-Security-Policy forbids them). Runs on load and after HTMX swaps. */
(function () {
  "use strict";
  var FONT = '"Noto Sans CJK JP", "Noto Sans JP", "Hiragino Sans", "Yu Gothic UI", sans-serif';
  var charts = [];

  function readData(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function fixed(value, digits) {
    return value === null || value === undefined ? "—" : Number(value).toFixed(digits);
  }

  function drawSentiment(node, data) {
    var chart = echarts.init(node, null, { renderer: "canvas" });
    var names = data.names;
    chart.setOption({
      textStyle: { fontFamily: FONT },
      grid: { left: 48, right: 48, top: 36, bottom: 36 },
      legend: { top: 0, data: [names.sentiment, names.delight, names.exceeded, names.below],
        textStyle: { color: "#5b6478" } },
      tooltip: { trigger: "axis", formatter: function (items) {
        var i = items[0].dataIndex;
        return data.labels[i] + "<br>" + names.sentiment + " " + fixed(data.sentiment[i], 2) +
          "<br>" + names.delight + " " + fixed(data.delight[i], 2) +
          "<br>" + names.exceeded + " " + fixed(data.exceeded[i], 1) +
          "<br>" + names.below + " " + fixed(data.below[i], 1) +
          "<br>" + names.n + " " + Number(data.n[i]).toLocaleString();
      } },
      xAxis: { type: "category", data: data.labels, axisLabel: { color: "#5b6478" } },
      yAxis: [
        { type: "value", min: -1, max: 1, splitLine: { lineStyle: { color: "#eef1f6" } } },
        { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" },
          splitLine: { show: false } }
      ],
      graphic: data.labels.length ? [] : [{ type: "text", left: "center", top: "middle",
        style: { text: names.empty, fill: "#8a93a6", fontSize: 14, fontFamily: FONT } }],
      series: [
        { name: names.exceeded, type: "bar", yAxisIndex: 1, data: data.exceeded,
          itemStyle: { color: "rgba(31, 157, 139, 0.55)" }, barMaxWidth: 18 },
        { name: names.below, type: "bar", yAxisIndex: 1, data: data.below,
          itemStyle: { color: "rgba(214, 69, 61, 0.5)" }, barMaxWidth: 18 },
        { name: names.sentiment, type: "line", data: data.sentiment, symbol: "circle",
          lineStyle: { width: 3, color: "#3d4fd6" }, itemStyle: { color: "#3d4fd6" } },
        { name: names.delight, type: "line", data: data.delight, symbol: "diamond",
          lineStyle: { width: 2, color: "#d68a1f" }, itemStyle: { color: "#d68a1f" } }
      ]
    });
    return chart;
  }

  function drawDrivers(node, data) {
    var chart = echarts.init(node, null, { renderer: "canvas" });
    var names = data.names;
    var points = data.points.map(function (p) {
      return { name: p.name, value: [p.importance, p.performance], quadrant: p.quadrant,
        significant: p.significant,
        itemStyle: { color: p.significant ? "#3d4fd6" : "#a3abbd" } };
    });
    var meanX = 0, meanY = 0;
    data.points.forEach(function (p) { meanX += p.importance; meanY += p.performance; });
    if (data.points.length) { meanX /= data.points.length; meanY /= data.points.length; }
    chart.setOption({
      textStyle: { fontFamily: FONT },
      grid: { left: 56, right: 24, top: 24, bottom: 48 },
      tooltip: { formatter: function (p) {
        return "<b>" + p.name + "</b><br>" + names.importance + " " + fixed(p.value[0], 1) +
          "<br>" + names.performance + " " + fixed(p.value[1], 0) + "<br>" + p.data.quadrant +
          " · " + (p.data.significant ? names.significant : names.not_significant);
      } },
      xAxis: { type: "value", name: names.importance, nameLocation: "middle", nameGap: 28,
        splitLine: { lineStyle: { color: "#eef1f6" } } },
      yAxis: { type: "value", name: names.performance, nameLocation: "middle", nameGap: 40,
        splitLine: { lineStyle: { color: "#eef1f6" } } },
      series: [{ type: "scatter", symbolSize: 14, data: points,
        label: { show: true, position: "right", formatter: "{b}", color: "#1c2333" },
        markLine: { silent: true, symbol: "none", label: { show: false },
          lineStyle: { color: "#b8bfcf", type: "dashed" },
          data: [{ xAxis: meanX }, { yAxis: meanY }] } }]
    });
    return chart;
  }

  function drawAll() {
    if (typeof echarts === "undefined") { return; }
    charts.forEach(function (c) { c.dispose(); });
    charts = [];
    var sentiment = document.getElementById("chart-sentiment");
    if (sentiment) { charts.push(drawSentiment(sentiment, readData("chart-sentiment-data"))); }
    var drivers = document.getElementById("chart-drivers");
    if (drivers) { charts.push(drawDrivers(drivers, readData("chart-drivers-data"))); }
    document.documentElement.dataset.dashboardReady = String(charts.length);
  }

  /* One dimension filter at a time (the rollups keep each apart): choosing one clears the rest. */
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("#dashboard-filter select") || !select.value) { return; }
    select.form.querySelectorAll("select").forEach(function (other) {
      if (other !== select) { other.value = ""; }
    });
  });

  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:afterSwap", drawAll);
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
