// Stacked bars of done / due / overdue; a click on a bar opens the row it stands for.
(function () {
  "use strict";
  var colours = { done: "#00895a", due: "#c9a227", overdue: "#c62828" };
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var data = JSON.parse(el.getAttribute("data-chart"));
    el.style.height = Math.max(160, data.labels.length * 28 + 60) + "px";
    var chart = echarts.init(el, null, { renderer: "svg" });
    var series = ["done", "due", "overdue"].map(function (status) {
      return {
        name: data.names[status], type: "bar", stack: "all", data: data.series[status],
        itemStyle: { color: colours[status] }, emphasis: { focus: "series" },
      };
    });
    chart.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "value" },
      yAxis: { type: "category", data: data.labels, inverse: true },
      series: series,
    });
    chart.on("click", function (params) {
      var link = data.links[params.dataIndex];
      if (link) { window.location.href = link; }
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
