// Every chart of Shouwang: bars (stacked when there are several series) or a line; a click on
// a bar opens the list or the unit it stands for (data.links, by bar). Charts that arrive with
// htmx (a part fetched after the page) are drawn when they land.
(function () {
  "use strict";
  var colours = { done: "#00895a", due: "#c9a227", overdue: "#c62828" };
  var palette = ["#00895a", "#3b6ea5", "#c9a227", "#c62828", "#7b5ea7", "#5c8a8a", "#a0522d"];

  function draw(el) {
    if (el.getAttribute("data-drawn")) { return; }
    el.setAttribute("data-drawn", "1");
    var data = JSON.parse(el.getAttribute("data-chart"));
    var line = data.kind === "line";
    var keys = data.order || Object.keys(data.series);
    el.style.height = (line ? 240 : Math.max(140, data.labels.length * 28 + 60)) + "px";
    var chart = echarts.init(el, null, { renderer: "svg" });
    var series = keys.map(function (key, i) {
      return {
        name: data.names[key], type: line ? "line" : "bar", stack: line ? undefined : "all",
        data: data.series[key], itemStyle: { color: colours[key] || palette[i % palette.length] },
        emphasis: { focus: "series" }, label: { show: !line && keys.length === 1, position: "right" },
      };
    });
    var categories = { type: "category", data: data.labels, inverse: !line };
    chart.setOption({
      animation: false, // drawn at once: cheaper on a phone, and a bar is where it shows
      tooltip: { trigger: "axis", axisPointer: { type: line ? "line" : "shadow" } },
      legend: { top: 0, show: keys.length > 1 },
      grid: { left: 8, right: 32, top: keys.length > 1 ? 32 : 8, bottom: 8, containLabel: true },
      xAxis: line ? categories : { type: "value", minInterval: 1 },
      yAxis: line ? { type: "value", minInterval: 1 } : categories,
      series: series,
    });
    chart.on("click", function (params) {
      var link = data.links && data.links[params.dataIndex];
      if (link) { window.location.href = link; }
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function drawIn(root) {
    if (root.matches && root.matches("[data-chart]")) { draw(root); }
    if (root.querySelectorAll) { root.querySelectorAll("[data-chart]").forEach(draw); }
  }

  drawIn(document);
  document.addEventListener("htmx:load", function (event) { drawIn(event.target); });
})();
