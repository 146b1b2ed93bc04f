// Accessibility check for CI: opens each URL in headless Chromium, runs axe-core against
// WCAG 2.2 level A and AA, prints a report, and writes <slug>.png (full page) and
// <slug>.json (axe's full results) into the artefact folder.
//
// Usage: node check.mjs <artefact-dir> <url> [<url> ...]
// Exit 0 only if every URL answered HTTP 200 and had no violation; 1 otherwise; 2 on bad usage.

import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';

// WCAG 2.0/2.1/2.2 at levels A and AA. (axe tags none of its rules wcag22a, so that tag
// would add nothing; wcag22aa brings target-size, 2.5.8.)
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

// The machine reaches nothing but loopback: these flags stop Chromium's background
// fetching (updates, sync, QUIC probes...) that would otherwise keep retrying the closed network.
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

const [artefactDir, ...urls] = process.argv.slice(2);
if (!artefactDir || urls.length === 0) {
  console.error('usage: node check.mjs <artefact-dir> <url> [<url> ...]');
  process.exit(2);
}
mkdirSync(artefactDir, { recursive: true });

const require = createRequire(import.meta.url);
const axeSource = readFileSync(path.join(path.dirname(require.resolve('axe-core')), 'axe.min.js'), 'utf8');

// "/newsletters/1?large-print" -> "newsletters-1-large-print"; "/" -> "index".
const usedSlugs = new Set();
function slugFor(u) {
  let slug = (u.pathname + u.search).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'index';
  // Two URLs may map to one slug (e.g. "/a-b" and "/a/b"): keep both artefacts.
  for (let base = slug, n = 2; usedSlugs.has(slug); n++) slug = `${base}-${n}`;
  usedSlugs.add(slug);
  return slug;
}

// Parse every URL before starting the browser, so a typo fails fast with a clear message.
const pages = urls.map((url) => {
  try {
    return { url, slug: slugFor(new URL(url)) };
  } catch {
    console.error(`not a URL: ${url}`);
    process.exit(2);
  }
});

const clip = (s, n = 200) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: CHROMIUM_ARGS,
});

let violations = 0; // failed rules, summed over pages
let elements = 0;   // offending elements, summed over pages
let failed = 0;      // pages not loaded with HTTP 200, or where axe could not run
try {
  for (const { url, slug } of pages) {
    console.log(`\n== ${url}  (artefacts: ${slug}.*)`);
    // A fresh context per page: no cookies or storage leak between pages.
    // bypassCSP lets the injected axe script run under the app's Content-Security-Policy.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
    try {
      const page = await context.newPage();
      const response = await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
      const status = response ? response.status() : 'no response';
      // Screenshot even when the page is wrong: it is what a person will want to see.
      await page.screenshot({ path: path.join(artefactDir, `${slug}.png`), fullPage: true });
      if (status !== 200) {
        console.log(`FAIL: HTTP ${status}`);
        failed++;
        continue;
      }

      await page.addScriptTag({ content: axeSource });
      const results = await page.evaluate(
        (values) => window.axe.run(document, { runOnly: { type: 'tag', values } }),
        TAGS,
      );
      writeFileSync(path.join(artefactDir, `${slug}.json`), JSON.stringify(results, null, 2));

      for (const v of results.violations) {
        violations++;
        elements += v.nodes.length;
        console.log(`\n[${v.impact}] ${v.id}: ${v.help}`);
        console.log(`  ${v.helpUrl}`);
        for (const node of v.nodes) {
          console.log(`  - ${node.target.join(' ')}`);
          console.log(`      ${clip(node.html.replace(/\s+/g, ' '))}`);
          // failureSummary says what exactly is wrong, e.g. the measured contrast ratio.
          for (const line of (node.failureSummary || '').split('\n')) {
            if (line.trim()) console.log(`      ${line.trim()}`);
          }
        }
      }
      // "Incomplete" = axe could not decide (e.g. text over an image); reported, not failed.
      const review = results.incomplete.length ? `, ${results.incomplete.length} rule(s) need manual review (see JSON)` : '';
      console.log(`${results.violations.length ? 'FAIL' : 'ok'}: ${results.violations.length} violation(s), ${results.passes.length} rule(s) passed${review}`);
    } catch (err) {
      console.log(`FAIL: ${err.message.split('\n')[0]}`);
      failed++;
    } finally {
      await context.close();
    }
  }
} finally {
  await browser.close();
}

const detail = violations ? ` (${elements} elements)` : '';
const broken = failed ? `, ${failed} page(s) could not be checked` : '';
console.log(`\na11y: ${urls.length} pages checked, ${violations} violations${detail}${broken}`);
process.exit(violations === 0 && failed === 0 ? 0 : 1);
