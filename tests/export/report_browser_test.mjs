// The HTML reports in a real browser: Debian's chromium, headless, driven by playwright-core
// (report/node_modules, from `npm ci` in scripts/install-deps; nothing downloads a browser).
//
//   node tests/export/report_browser_test.mjs MIGPOWER_BINARY ARTIFACT_DIR
//
// Makes a report (HTML and the CSV of the same report) and an `evaluate --compare` page of a
// simulated scenario, opens each from a file:// URL and checks that every plot drew its data,
// that the console has no error, that no request left the page, and that the numbers in the
// report's table are the CSV's. Saves a screenshot of each page in ARTIFACT_DIR. Exits 0 when
// every check passed, 1 otherwise; ctest runs it (tests/CMakeLists.txt).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const reportDir = resolve(here, '../../report');
const [binary, artifacts] = process.argv.slice(2);
if (!binary || !artifacts) {
  console.error('usage: report_browser_test.mjs MIGPOWER_BINARY ARTIFACT_DIR');
  process.exit(2);
}
const chromiumPath = process.env.MIGPOWER_CHROMIUM || '/usr/bin/chromium';
let chromium;
try {
  ({ chromium } = createRequire(join(reportDir, 'package.json'))('playwright-core'));
} catch (e) {
  console.error(`playwright-core is missing from ${reportDir}/node_modules: run scripts/install-deps`);
  process.exit(1);
}
if (!existsSync(chromiumPath)) {
  console.error(`no browser at ${chromiumPath}: run scripts/install-deps (Debian's chromium)`);
  process.exit(1);
}

const failures = [];
const check = (ok, message) => {
  if (!ok) failures.push(message);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${message}`);
};

function migpower(...args) {
  execFileSync(binary, args, { stdio: ['ignore', 'ignore', 'inherit'], timeout: 60000 });
}

// RFC 4180, as the report's CSV writes it: quotes only where a cell needs them.
function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; } else cell += c;
  }
  const [header, ...body] = rows;
  return body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
}

// Opens `file` in a fresh page; returns what the page asked for and said.
async function open(browser, file) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const outside = [];
  const errors = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    // The page's own file is the one request allowed; 'request' below records the others.
    return url === pathToFileURL(file).href ? route.continue() : route.abort();
  });
  page.on('request', (request) => {
    if (request.url() !== pathToFileURL(file).href) outside.push(request.url());
  });
  page.on('console', (msg) => { if (msg.type() === 'error' || msg.type() === 'warning') errors.push(msg.text()); });
  page.on('pageerror', (error) => errors.push(String(error)));
  const started = Date.now();
  await page.goto(pathToFileURL(file).href);
  await page.waitForFunction(() => document.documentElement.dataset.rendered !== undefined, null, { timeout: 15000 });
  const wallMs = Date.now() - started;
  return { context, page, outside, errors, wallMs };
}

// Each plot's canvas, inside its plotting area: how many pixels carry a series' colour (the grid
// and axes are grey, so a plot that drew no data has none).
async function plotInk(page) {
  return page.evaluate(() => window.migpowerReport.plots.map(({ plot, kind }) => {
    const { left, top, width, height } = plot.bbox;
    const pixels = plot.ctx.getImageData(left, top, Math.max(1, width), Math.max(1, height)).data;
    let coloured = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      const [r, g, b, a] = [pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]];
      if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 40) coloured++;
    }
    return { kind, fraction: coloured / (pixels.length / 4), points: plot.data[0].length };
  }));
}

function checkPage(name, opened, ink, expectedPlots, minFraction) {
  check(ink.length === expectedPlots, `${name}: ${ink.length} plots rendered (${expectedPlots} expected)`);
  ink.forEach((p, i) => check(p.fraction >= minFraction[p.kind],
    `${name}: plot ${i} (${p.kind}, ${p.points} points) drew its data: ${(100 * p.fraction).toFixed(1)}% of its area in colour`));
  check(opened.errors.length === 0, `${name}: console has no error or warning${opened.errors.length ? ': ' + opened.errors.join(' | ') : ''}`);
  check(opened.outside.length === 0, `${name}: no request left the page${opened.outside.length ? ': ' + opened.outside.join(', ') : ''}`);
}

const work = mkdtempSync(join(tmpdir(), 'migpower-report-browser-'));
mkdirSync(artifacts, { recursive: true });
let browser;
try {
  const trace = join(work, 'mixed.csv');
  const html = join(work, 'report.html');
  const csv = join(work, 'report.csv');
  const evaluation = join(work, 'evaluate.html');
  migpower('simulate', '--scenario', 'mixed', '--duration', '1800', '--seed', '3', '--out', trace);
  // --plot-points below the frame count: the browser draws decimated series.
  const common = [trace, '--idle-policy', 'none', '--price', '0.3', '--currency', 'EUR',
    '--market-carbon-intensity', '40', '--embodied-kgco2e', '1500', '--plot-points', '400'];
  migpower('report', ...common, '--out', html);
  migpower('report', ...common, '--format', 'csv', '--out', csv);
  migpower('evaluate', '--scenario', 'mixed', '--duration', '600', '--warmup', '60', '--compare',
    '--format', 'html', '--out', evaluation);

  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [],
  });

  // The report.
  const report = await open(browser, html);
  const ink = await plotInk(report.page);
  // One card (a stacked area), energy bars, carbon bars.
  checkPage('report', report, ink, 3, { stacked: 0.2, bars: 0.02 });
  check(ink[0].points <= 400 && ink[0].points >= 100, `report: the stacked plot drew ${ink[0].points} decimated points of 1801 frames`);

  const rows = await report.page.$$eval('#groups tbody tr', (trs) => trs.map((tr) => ({
    group: tr.dataset.group,
    cells: Object.fromEntries([...tr.querySelectorAll('td[data-column]')].map((td) => [td.dataset.column, td.textContent])),
  })));
  const expected = parseCsv(readFileSync(csv, 'utf8'));
  check(rows.length === expected.length && rows.length >= 3, `report: ${rows.length} table rows, ${expected.length} CSV rows`);
  let compared = 0;
  for (const want of expected) {
    const got = rows.find((r) => r.group === want.group);
    check(got !== undefined, `report: the table has the CSV's group ${want.group}`);
    if (!got) continue;
    for (const [column, text] of Object.entries(got.cells)) {
      if (column === 'group' || column === 'members') continue;
      const wanted = want[column];
      if (wanted === '' || text === '') {
        check(wanted === text, `report: ${want.group} ${column}: both empty (page '${text}', CSV '${wanted}')`);
        continue;
      }
      // The page rounds to fewer decimals than the CSV: they agree to the page's last digit.
      const decimals = (text.split('.')[1] || '').length;
      const ok = Math.abs(Number(text) - Number(wanted)) <= 0.5 * 10 ** -decimals + 1e-9;
      if (!ok) check(false, `report: ${want.group} ${column}: page ${text}, CSV ${wanted}`);
      compared++;
    }
  }
  check(compared >= 10 * expected.length, `report: ${compared} numbers on the page match the CSV`);
  const tile = await report.page.$eval('[data-tile="measured energy"] .value', (el) => el.textContent);
  const csvTotal = expected.reduce((sum, r) => sum + Number(r.energy_kwh), 0);
  check(Math.abs(Number(tile) - csvTotal) <= 0.5 * 10 ** -(tile.split('.')[1] || '').length + 1e-6,
    `report: the measured energy (${tile} kWh) is the sum of the CSV's groups (${csvTotal.toFixed(6)} kWh)`);
  const renderMs = await report.page.evaluate(() => window.migpowerReport.renderMs);
  console.log(`report: rendered in ${renderMs.toFixed(0)} ms after navigation (${report.wallMs} ms wall)`);
  await report.page.screenshot({ path: join(artifacts, 'report.png'), fullPage: true });
  await report.context.close();

  // The evaluation: a time plot and an error histogram per method.
  const page = await open(browser, evaluation);
  const evalInk = await plotInk(page.page);
  const methods = await page.page.$$eval('section.method', (sections) => sections.length);
  check(methods >= 4, `evaluate: ${methods} methods on the page`);
  checkPage('evaluate', page, evalInk, 2 * methods, { lines: 0.005, histogram: 0.01 });
  await page.page.screenshot({ path: join(artifacts, 'evaluate.png'), fullPage: true });
  await page.context.close();
} finally {
  if (browser) await browser.close();
  rmSync(work, { recursive: true, force: true });
}

console.log(failures.length === 0 ? 'all checks passed' : `${failures.length} check(s) failed`);
process.exit(failures.length === 0 ? 0 : 1);
