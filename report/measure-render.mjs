// How long a report page takes to render in headless Chromium: from the start of navigation
// (reading and parsing the file included) to the frame after every plot was drawn, as the page's
// own script records it (window.migpowerReport.renderMs). A measurement, never a test.
//
//   node report/measure-render.mjs REPORT.html [RUNS]
//
// Prints each run, the median, and the file's size. Needs what scripts/install-deps installs.
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { chromium } = createRequire(join(here, 'package.json'))('playwright-core');
const [file, runsText = '7'] = process.argv.slice(2);
if (!file) {
  console.error('usage: measure-render.mjs REPORT.html [RUNS]');
  process.exit(2);
}
const runs = Math.max(1, Math.min(50, Number(runsText) || 7));
const browser = await chromium.launch({
  executablePath: process.env.MIGPOWER_CHROMIUM || '/usr/bin/chromium',
  args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [],
});
const times = [];
try {
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(pathToFileURL(resolve(file)).href);
    await page.waitForFunction(() => window.migpowerReport && window.migpowerReport.renderMs !== null,
      null, { timeout: 60000 });
    const ms = await page.evaluate(() => window.migpowerReport.renderMs);
    const points = await page.evaluate(() => window.migpowerReport.plots.map((p) => p.plot.data[0].length));
    times.push(ms);
    console.log(`run ${i + 1}: ${ms.toFixed(0)} ms (${points.length} plots, ${points.join('+')} points)`);
    await context.close();
  }
} finally {
  await browser.close();
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
console.log(`median ${median.toFixed(0)} ms over ${runs} runs; ${statSync(file).size} bytes`);
