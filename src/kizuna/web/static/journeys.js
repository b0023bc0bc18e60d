/* Journeys pages: the stage funnel, the emotion curve with its band, the directly-follows
   graph of touchpoints and the compared curves, from the JSON the server rendered. */
(function () {
  "use strict";
  var FONT = '"Noto Sans CJK JP", "Noto Sans JP", "Hiragino Sans", "Yu Gothic UI", sans-serif';
  var ACCENT = "#3d4fd6";
  var COLOURS = ["#3d4fd6", "#e08a1e", "#1f9d8b", "#7b4fd6", "#c2415c", "#2f7fb8"];
  var charts = [];

  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function chart(node) {
    var made = echarts.init(node, null, { renderer: "canvas" });
    charts.push(made);
    return made;
  }

  function drawFunnel(node, rows) {
    chart(node).setOption({
      textStyle: { fontFamily: FONT },
      grid: { left: 8, right: 56, top: 8, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: { type: "value", show: false },
      yAxis: { type: "category", inverse: true, data: rows.map(function (r) { return r.stage; }),
        axisTick: { show: false }, axisLine: { show: false } },
      series: [{ type: "bar", data: rows.map(function (r) { return r.reached; }), barMaxWidth: 26,
        itemStyle: { color: ACCENT, borderRadius: [0, 6, 6, 0] },
        label: { show: true, position: "right", formatter: function (p) { return p.value.toLocaleString(); } } }]
    });
  }

  function curveSeries(name, points, colour, band) {
    var low = points.map(function (p) { return p.low; });
    var width = points.map(function (p) { return p.high === null || p.low === null ? null : p.high - p.low; });
    var out = [];
    if (band) {
      out.push({ name: name, type: "line", data: low, stack: "band-" + name, stackStrategy: "all",
        lineStyle: { opacity: 0 }, symbol: "none", silent: true, tooltip: { show: false } });
      out.push({ name: name, type: "line", data: width, stack: "band-" + name, stackStrategy: "all",
        lineStyle: { opacity: 0 }, symbol: "none", silent: true, tooltip: { show: false },
        areaStyle: { color: colour, opacity: 0.16 } });
    }
    out.push({ name: name, type: "line", data: points.map(function (p) { return p.mean; }),
      connectNulls: false, symbol: "circle", symbolSize: 8, lineStyle: { width: 3, color: colour },
      itemStyle: { color: colour } });
    return out;
  }

  function drawCurves(node, curves) {
    var stages = curves.length ? curves[0].points.map(function (p) { return p.stage; }) : [];
    var series = [];
    curves.forEach(function (c, i) {
      series = series.concat(curveSeries(c.name, c.points, COLOURS[i % COLOURS.length], curves.length === 1));
    });
    chart(node).setOption({
      textStyle: { fontFamily: FONT },
      grid: { left: 44, right: 16, top: curves.length > 1 ? 36 : 16, bottom: 32 },
      legend: curves.length > 1 ? { top: 0, data: curves.map(function (c) { return c.name; }) } : undefined,
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: stages, boundaryGap: true, axisLabel: { interval: 0, hideOverlap: false } },
      yAxis: { type: "value", min: -1, max: 1, splitLine: { lineStyle: { color: "#eef1f6" } } },
      series: series
    });
  }

  function drawGraph(node, graph) {
    var stages = graph.stages || [];
    var nodes = graph.nodes.map(function (n) {
      var at = Math.max(0, stages.indexOf(n.stage));
      return { name: n.name, value: n.value, category: at,
        symbol: n.direct ? "circle" : "emptyCircle",
        symbolSize: 10 + 26 * Math.sqrt(n.value / Math.max.apply(null, graph.nodes.map(function (m) { return m.value; }).concat([1]))) };
    });
    var most = Math.max.apply(null, graph.edges.map(function (e) { return e.value; }).concat([1]));
    chart(node).setOption({
      textStyle: { fontFamily: FONT },
      tooltip: { formatter: function (p) {
        return p.dataType === "edge" ? p.data.source + " → " + p.data.target + ": " + p.data.value.toLocaleString()
          : p.name + ": " + p.value.toLocaleString(); } },
      legend: { top: 0, data: stages },
      series: [{ type: "graph", layout: "circular", circular: { rotateLabel: true }, roam: true,
        top: 40, bottom: 16, label: { show: true, position: "right", fontSize: 11 },
        edgeSymbol: ["none", "arrow"], edgeSymbolSize: 6,
        categories: stages.map(function (s, i) { return { name: s, itemStyle: { color: COLOURS[i % COLOURS.length] } }; }),
        data: nodes,
        links: graph.edges.map(function (e) {
          return { source: e.source, target: e.target, value: e.value,
            lineStyle: { width: 0.5 + 5 * e.value / most, opacity: 0.55, curveness: 0.2 } };
        }) }]
    });
  }

  function drawAll() {
    if (typeof echarts === "undefined") { return; }
    charts.forEach(function (c) { c.dispose(); });
    charts = [];
    var payload = data("journey-charts");
    if (!payload) { return; }
    document.querySelectorAll("[data-journey-chart]").forEach(function (node) {
      var kind = node.getAttribute("data-journey-chart");
      if (kind === "funnel" && payload.funnel) { drawFunnel(node, payload.funnel); }
      if (kind === "curve" && payload.curve) { drawCurves(node, [{ name: node.getAttribute("aria-label"), points: payload.curve }]); }
      if (kind === "graph" && payload.graph) { drawGraph(node, payload.graph); }
      if (kind === "curves" && payload.curves) { drawCurves(node, payload.curves); }
    });
  }

  function autoSubmit() {
    document.querySelectorAll("form[data-auto-submit] select").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  document.addEventListener("DOMContentLoaded", function () { drawAll(); autoSubmit(); });
})();
