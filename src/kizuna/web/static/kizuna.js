/* Kizuna's page script: draws the home page's ECharts from the JSON the server rendered.
   No build step; runs on first load and again after HTMX swaps the figures in. */
(function () {
  "use strict";
  var FONT = '"Noto Sans CJK JP", "Noto Sans JP", "Hiragino Sans", "Yu Gothic UI", sans-serif';
  var ACCENT = "#3d4fd6";
  var charts = [];

  function readData(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function emptyGraphic(text) {
    return { type: "text", left: "center", top: "middle",
      style: { text: text, fill: "#8a93a6", fontSize: 14, fontFamily: FONT } };
  }

  function drawNps(node, data) {
    var chart = echarts.init(node, null, { renderer: "canvas" });
    var band = data.high.map(function (h, i) {
      return h === null || data.low[i] === null ? null : h - data.low[i];
    });
    chart.setOption({
      textStyle: { fontFamily: FONT },
      grid: { left: 48, right: 24, top: 28, bottom: 36 },
      legend: { top: 0, right: 0, data: [data.names.value, data.names.band],
        textStyle: { color: "#5b6478" } },
      tooltip: { trigger: "axis", formatter: function (items) {
        var i = items[0].dataIndex;
        if (data.value[i] === null) { return data.labels[i]; }
        return data.labels[i] + "<br><b>" + data.names.value + " " + data.value[i].toFixed(1) +
          "</b><br>" + data.names.band + " " + data.low[i].toFixed(1) + " – " +
          data.high[i].toFixed(1) + "<br>" + data.names.n + " " + data.n[i].toLocaleString();
      } },
      xAxis: { type: "category", data: data.labels, boundaryGap: false,
        axisLine: { lineStyle: { color: "#cfd5e2" } }, axisLabel: { color: "#5b6478" } },
      yAxis: { type: "value", min: function (v) { return Math.max(-100, Math.floor(v.min / 10) * 10); },
        max: function (v) { return Math.min(100, Math.ceil(v.max / 10) * 10); },
        splitLine: { lineStyle: { color: "#eef1f6" } }, axisLabel: { color: "#5b6478" } },
      graphic: data.labels.length ? [] : [emptyGraphic(data.names.empty)],
      series: [
        /* The band is a transparent base at ci_low with the interval's width stacked on it;
           stackStrategy "all" keeps it right when the lower bound is negative. */
        { name: data.names.band, type: "line", data: data.low, stack: "ci", stackStrategy: "all",
          lineStyle: { opacity: 0 }, symbol: "none", silent: true, tooltip: { show: false } },
        { name: data.names.band, type: "line", data: band, stack: "ci", stackStrategy: "all",
          lineStyle: { opacity: 0 }, symbol: "none", silent: true,
          areaStyle: { color: "rgba(61, 79, 214, 0.16)" }, itemStyle: { color: "rgba(61, 79, 214, 0.3)" } },
        { name: data.names.value, type: "line", data: data.value, smooth: false,
          symbol: "circle", symbolSize: 7, lineStyle: { width: 3, color: ACCENT },
          itemStyle: { color: ACCENT }, markLine: { silent: true, symbol: "none",
            lineStyle: { color: "#b8bfcf", type: "dashed" }, label: { show: false },
            data: [{ yAxis: 0 }] } }
      ]
    });
    return chart;
  }

  function drawChannels(node, data) {
    var chart = echarts.init(node, null, { renderer: "canvas" });
    chart.setOption({
      textStyle: { fontFamily: FONT },
      grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value", show: false },
      yAxis: { type: "category", data: data.labels.slice().reverse(), axisTick: { show: false },
        axisLine: { show: false }, axisLabel: { color: "#1c2333" } },
      graphic: data.labels.length ? [] : [emptyGraphic(data.names.empty)],
      series: [{ name: data.names.value, type: "bar", data: data.values.slice().reverse(),
        barMaxWidth: 22, itemStyle: { color: "#1f9d8b", borderRadius: [0, 6, 6, 0] },
        label: { show: true, position: "right", color: "#5b6478",
          formatter: function (p) { return p.value.toLocaleString(); } } }]
    });
    return chart;
  }

  function drawAll() {
    if (typeof echarts === "undefined") { return; }
    charts.forEach(function (c) { c.dispose(); });
    charts = [];
    var nps = document.getElementById("chart-nps");
    if (nps) { charts.push(drawNps(nps, readData("chart-nps-data"))); }
    var channels = document.getElementById("chart-channels");
    if (channels) { charts.push(drawChannels(channels, readData("chart-channels-data"))); }
    document.documentElement.dataset.chartsReady = String(charts.length);
  }

  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:afterSwap", drawAll);
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".window-switch button");
    if (!button) { return; }
    button.parentNode.querySelectorAll("button").forEach(function (b) {
      b.setAttribute("aria-pressed", b === button ? "true" : "false");
    });
  });
})();
