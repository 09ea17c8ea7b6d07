// Draws the plots of a migpower report page with uPlot. The page (src/export/report_page.cpp)
// holds its data as one JSON block, #migpower-data, whose "plots" array the elements
// <div class="plot" data-plot="N"> index; the tables are plain HTML and need no script.
// Inlined into every page after uPlot itself; it loads nothing.
(function () {
  'use strict';

  // Tableau 10: distinct, and readable by most colour-blind readers.
  const palette = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f',
    '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#8cd17d'];
  const grey = '#bab0ac';
  const colour = (i) => palette[i % palette.length];

  // An opaque colour between `hex` and white: stacked areas overpaint one another, so their
  // fills must not be transparent.
  function lighten(hex, amount) {
    const n = parseInt(hex.slice(1), 16);
    const mix = (c) => Math.round(c + (255 - c) * amount);
    return 'rgb(' + mix(n >> 16) + ',' + mix((n >> 8) & 255) + ',' + mix(n & 255) + ')';
  }

  const utc = (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC');
  // uPlot's default labels are American ("2:05pm", "1/31/26"): ISO dates and a 24-hour clock.
  const isoDate = (tpl) => uPlot.fmtDate(tpl
    .replace('{M}/{D}/{YY}', '{YYYY}-{MM}-{DD}')
    .replace('{M}/{D}', '{MM}-{DD}')
    .replace('{h}{aa}', '{HH}:00')
    .replace(/\{h\}/g, '{HH}')
    .replace(/\{aa\}|\{AA\}/g, ''));
  const fmt = (v, decimals) => (v == null || Number.isNaN(v) ? '–' : v.toFixed(decimals));
  const widthOf = (el) => Math.max(320, Math.floor(el.getBoundingClientRect().width));

  // Per-instance power stacked under the card's measured power. Each layer is drawn filled down
  // to zero at its cumulative height, the top one first, so each covers the ones above it.
  function stacked(el, p) {
    const x = p.t.map((dt) => p.t0 + dt);
    const layers = p.series.map((s, i) => ({ label: s.label, values: s.values, colour: colour(i) }));
    if (p.unattributed) layers.push({ label: 'unattributed', values: p.unattributed, colour: grey });
    const sums = new Array(x.length).fill(0);
    const cumulative = layers.map((layer) => layer.values.map((v, j) => (sums[j] += v == null ? 0 : v)));
    let top = 1;  // a loop: spreading a long series into Math.max overflows the call stack
    for (let j = 0; j < x.length; j++) top = Math.max(top, sums[j], p.measured[j] == null ? 0 : p.measured[j]);
    const series = [{ label: 'time (UTC)' }];
    const data = [x];
    for (let i = layers.length - 1; i >= 0; i--) {
      const layer = layers[i];
      const fill = lighten(layer.colour, 0.3);
      series.push({
        label: layer.label,
        stroke: fill,  // no darker edge: over a long period the edges would hide the areas
        fill,
        width: 1,
        points: { show: false },
        value: (u, v, si, idx) => (idx == null ? '–' : fmt(layer.values[idx], 1) + ' W'),
      });
      data.push(cumulative[i]);
    }
    series.push({
      label: 'measured (card)',
      // Thin and half transparent: decimated, it traces the band between each stretch's lowest
      // and highest power, which a solid line would paint over.
      stroke: 'rgba(0, 0, 0, 0.55)',
      width: 1,
      points: { show: false },
      value: (u, v) => fmt(v, 1) + ' W',
    });
    data.push(p.measured);
    return new uPlot({
      width: widthOf(el),
      height: 320,
      tzDate: utc,
      fmtDate: isoDate,
      scales: { y: { range: [0, top * 1.05] } },
      axes: [{}, { label: 'W', size: 60 }],
      series,
    }, data, el);
  }

  // Horizontal bars, one row per group: long tenant names read on the left.
  function bars(el, p) {
    const n = p.labels.length;
    const x = p.labels.map((_, i) => i);
    const short = p.labels.map((l) => (l.length > 36 ? l.slice(0, 35) + '…' : l));
    const labelWidth = Math.min(300, 24 + 8 * Math.max(4, ...short.map((l) => l.length)));
    const k = p.series.length;
    let top = 0;
    for (const s of p.series) for (const v of s.values) top = Math.max(top, v == null ? 0 : v);
    const series = [{ label: p.title }];
    p.series.forEach((s, i) => {
      series.push({
        label: s.label,
        stroke: colour(i),
        fill: lighten(colour(i), 0.15),
        width: 1,
        points: { show: false },
        paths: uPlot.paths.bars({ size: [0.7 / k, 48], align: k === 1 ? 0 : (i === 0 ? -1 : 1) }),
        value: (u, v) => (v == null ? '–' : v.toPrecision(4) + ' ' + p.unit),
      });
    });
    return new uPlot({
      width: widthOf(el),
      height: Math.max(150, 60 + n * 26 * Math.max(1, k * 0.75)),
      legend: { show: k > 1 },
      scales: {
        x: { time: false, ori: 1, dir: -1, range: [-0.5, n - 0.5] },  // the first on top
        y: { ori: 0, range: [0, top > 0 ? top * 1.08 : 1] },
      },
      axes: [
        { scale: 'x', side: 3, size: labelWidth, gap: 4, splits: () => x, values: (u, splits) => splits.map((i) => short[i] ?? '') },
        { scale: 'y', side: 2, label: p.unit },
      ],
      cursor: { points: { show: false } },
      series,
    }, [x, ...p.series.map((s) => s.values)], el);
  }

  // Lines over time: estimated (solid) and true (dashed) power of each instance.
  function lines(el, p) {
    const x = p.t.map((dt) => p.t0 + dt);
    const series = [{ label: 'time (UTC)' }];
    p.series.forEach((s) => {
      series.push({
        label: s.label,
        stroke: colour(s.colour),
        width: s.dashed ? 1 : 1.25,
        dash: s.dashed ? [5, 4] : undefined,
        points: { show: false },
        value: (u, v) => fmt(v, 1) + ' W',
      });
    });
    return new uPlot({
      width: widthOf(el),
      height: 300,
      tzDate: utc,
      fmtDate: isoDate,
      axes: [{}, { label: 'W', size: 60 }],
      series,
    }, [x, ...p.series.map((s) => s.values)], el);
  }

  // A distribution: bars over bin centres.
  function histogram(el, p) {
    const step = p.x.length > 1 ? p.x[1] - p.x[0] : 1;
    let top = 0;
    for (const s of p.series) for (const v of s.values) top = Math.max(top, v == null ? 0 : v);
    const series = [{ label: p.xlabel, value: (u, v) => (v == null ? '–' : fmt(v - step / 2, 1) + ' to ' + fmt(v + step / 2, 1)) }];
    p.series.forEach((s, i) => {
      series.push({
        label: s.label,
        stroke: colour(s.colour == null ? i : s.colour),
        fill: lighten(colour(s.colour == null ? i : s.colour), 0.3),
        width: 1,
        points: { show: false },
        paths: uPlot.paths.bars({ size: [1, Infinity], align: 0 }),
        value: (u, v) => fmt(v, 2) + ' ' + p.unit,
      });
    });
    return new uPlot({
      width: widthOf(el),
      height: 300,
      legend: { show: false },
      scales: {
        x: { time: false, range: [p.x[0] - step / 2, p.x[p.x.length - 1] + step / 2] },
        y: { range: [0, top > 0 ? top * 1.08 : 1] },
      },
      axes: [{ label: p.xlabel }, { label: p.unit, size: 50 }],
      series,
    }, [p.x, ...p.series.map((s) => s.values)], el);
  }

  const makers = { stacked, bars, lines, histogram };
  const data = JSON.parse(document.getElementById('migpower-data').textContent);
  const plots = [];
  for (const el of document.querySelectorAll('.plot[data-plot]')) {
    const p = data.plots[Number(el.dataset.plot)];
    plots.push({ element: el, kind: p.kind, plot: makers[p.kind](el, p) });
  }

  let resizing = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => {
      for (const { element, plot } of plots) plot.setSize({ width: widthOf(element), height: plot.height });
    }, 100);
  });

  // uPlot paints on the next frame: the page is drawn once that frame is done. renderMs counts
  // from the start of navigation (parsing the page included) to then.
  window.migpowerReport = { plots, renderMs: null };
  requestAnimationFrame(() => setTimeout(() => {
    window.migpowerReport.renderMs = performance.now();
    document.documentElement.dataset.rendered = String(plots.length);
  }, 0));
})();
