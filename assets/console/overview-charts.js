// Overview charts with uPlot (served from node_modules by tandem): records written per run and run duration.
'use strict';
(function () {
  var source = document.getElementById('overview-chart-data');
  if (!source || typeof uPlot === 'undefined') return;
  var data = JSON.parse(source.textContent || '{}');
  function chart(id, label, values, color) {
    var el = document.getElementById(id);
    if (!el) return;
    var width = Math.max(280, Math.min(640, el.clientWidth || 640));
    var opts = {
      width: width,
      height: 220,
      scales: { x: { time: true } },
      series: [{}, { label: label, stroke: color, width: 2, fill: color + '22', points: { show: true } }],
      axes: [{}, { label: label }],
    };
    el.textContent = '';
    if (!data.at || data.at.length === 0) {
      el.textContent = 'no finished runs yet';
      return;
    }
    new uPlot(opts, [data.at, values], el);
    el.setAttribute('aria-label', label + ': ' + values.join(', '));
  }
  chart('chart-written', 'records written', data.written || [], '#1f6feb');
  chart('chart-seconds', 'seconds', data.seconds || [], '#d97706');
})();
