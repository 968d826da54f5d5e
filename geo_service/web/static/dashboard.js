/* /dashboard: four charts drawn by the locally served Chart.js from the numbers the server put
 * in #dash-config (the same numbers as the table below them). */
(function () {
  'use strict';

  var node = document.getElementById('dash-config');
  if (!node || !window.Chart) { return; }
  var data = JSON.parse(node.textContent);
  var W = data.words;
  var font = '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif';
  Chart.defaults.font.family = font;
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;

  var xAxis = { title: { display: true, text: data.axis },
                ticks: { autoSkip: false, maxRotation: 0 } };

  function bar(id, datasets, y, stacked) {
    var canvas = document.getElementById(id);
    return new Chart(canvas, {
      type: 'bar',
      data: { labels: data.labels, datasets: datasets },
      options: {
        responsive: true,
        plugins: { legend: { display: datasets.length > 1 } },
        scales: { x: Object.assign({ stacked: Boolean(stacked) }, xAxis),
                  y: Object.assign({ beginAtZero: true, stacked: Boolean(stacked) }, y || {}) }
      }
    });
  }

  var whole = { ticks: { precision: 0 } };
  var charts = [
    bar('chart-counts', [
      { label: W.dash_open, data: data.open, backgroundColor: '#fd7e14' },
      { label: W.dash_closed, data: data.closed, backgroundColor: '#198754' }
    ], whole, true),
    bar('chart-median', [
      { label: W.dash_chart_median, data: data.median, backgroundColor: '#0d6efd' }
    ]),
    bar('chart-revisited', [
      { label: W.dash_chart_revisited, data: data.revisited, backgroundColor: '#6f42c1' }
    ], { max: 100 }),
    bar('chart-escalations', [
      { label: W.dash_chart_escalations, data: data.escalations, backgroundColor: '#dc3545' }
    ], whole)
  ];
  document.getElementById('dash-charts').setAttribute('data-ready', String(charts.length));
})();
