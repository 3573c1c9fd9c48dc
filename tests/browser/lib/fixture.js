// Helpers for the browser tests of the page at / (issue 10): a real node with a real bill (made with the
// CLI, as a carrier would), Debian's chromium driven by playwright-core, and guards that fail a test on
// any console error, page error, or request that leaves the node's origin.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { BIN, initHome, startNode, request } = require('../../e2e/lib/onebill');

const CHROMIUM = process.env.ONEBILL_CHROMIUM || '/usr/bin/chromium';

// Chromium is installed by scripts/setup unless ONEBILL_SETUP_BROWSER=0; only then are these tests skipped.
function chromiumMissing() {
  if (fs.existsSync(CHROMIUM)) return null;
  return `${CHROMIUM} is not installed (scripts/setup skips it when ONEBILL_SETUP_BROWSER=0): browser tests skipped`;
}

// Screenshots and other output go under the build directory, never into the source tree.
function outputDir() {
  const dir = process.env.ONEBILL_TEST_OUTPUT
    ? path.join(process.env.ONEBILL_TEST_OUTPUT, 'browser')
    : path.join(path.dirname(path.dirname(BIN)), 'test-output', 'browser');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function cli(home, node, args) {
  const result = spawnSync(BIN, args, {
    encoding: 'utf8',
    env: { ...process.env, ONEBILL_HOME: home.dir, ONEBILL_NODE: `http://127.0.0.1:${node.port}` },
  });
  if (result.status !== 0) throw new Error(`onebill ${args.join(' ')}: ${result.stderr}${result.stdout}`);
  return result.stdout;
}

// A node with the README's bill: rail Chongqing -> Qinzhou, sea Qinzhou -> Singapore, issued from a
// wrapped document, the rail leg done and the sea leg received, pledged to the bank. Also a tampered copy
// of the document and a wrapped document that was never issued.
async function startStory() {
  const home = initHome();
  const node = await startNode(home, { blockIntervalMs: 50 });
  const run = (args) => cli(home, node, args);
  const rail = run(['key', 'show', path.join(home.dir, 'keys', 'carrier-rail.json')]).trim();
  const sea = run(['key', 'show', path.join(home.dir, 'keys', 'carrier-sea.json')]).trim();
  const profile = JSON.parse(run(['participant', 'show', 'carrier-rail', '--json']));
  const wrap = (reference) => {
    const raw = path.join(home.dir, `${reference}.raw.json`);
    fs.writeFileSync(raw, run(['doc', 'template', '--chain', home.chain, '--issuer', rail, '--sea-carrier', sea,
      '--name', profile.name, '--domain', profile.domain, '--reference', reference]));
    const file = path.join(home.dir, `${reference}.json`);
    fs.writeFileSync(file, run(['doc', 'wrap', raw]));
    return { file, id: '0x' + JSON.parse(fs.readFileSync(file, 'utf8')).signature.merkleRoot };
  };

  const bill = wrap('CKGSIN-WEB-1');
  run(['bill', 'issue', '--doc', bill.file, '--holder', 'shipper', '--as', 'carrier-rail']);
  run(['leg', 'record', bill.id, '--leg', '0', '--event', 'RECEIVED', '--location', 'CNCKG', '--conveyance', 'X8083', '--as', 'carrier-rail']);
  run(['leg', 'record', bill.id, '--leg', '0', '--event', 'DEPARTED', '--location', 'CNCKG', '--as', 'carrier-rail']);
  run(['leg', 'record', bill.id, '--leg', '0', '--event', 'ARRIVED', '--location', 'CNQZH', '--as', 'carrier-rail']);
  run(['leg', 'record', bill.id, '--leg', '1', '--event', 'RECEIVED', '--location', 'CNQZH', '--conveyance', 'MV Lancang', '--as', 'carrier-sea']);
  run(['bill', 'pledge', bill.id, '--bank', 'bank', '--reference', 'LC-2026-0042', '--as', 'shipper']);

  const tampered = path.join(home.dir, 'tampered.json');
  const text = fs.readFileSync(bill.file, 'utf8');
  const changed = text.replace('CKGSIN-WEB-1', 'CKGSIN-WEB-9');
  if (changed === text) throw new Error('the tampering changed nothing');
  fs.writeFileSync(tampered, changed);
  const unissued = wrap('CKGSIN-WEB-2');

  const names = {};
  const addresses = {};
  for (const name of ['carrier-rail', 'carrier-sea', 'bank', 'shipper']) {
    const participant = JSON.parse(run(['participant', 'show', name, '--json']));
    names[name] = participant.name;
    addresses[name] = participant.address;
  }
  return {
    home,
    node,
    origin: `http://127.0.0.1:${node.port}`,
    bill,
    tampered,
    unissued,
    names,
    addresses,
    get: (target) => request(node.port, 'GET', target),
    async stop() {
      await node.stop();
      fs.rmSync(home.dir, { recursive: true, force: true });
    },
  };
}

async function launchBrowser() {
  const { chromium } = require('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

// A page whose console errors, page errors and requests to any other origin are collected in `problems`
// (requests leaving the node are aborted as well).
async function guardedPage(browser, origin, { width = 1280, height = 900, locale = 'en-US' } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, locale, serviceWorkers: 'block' });
  const problems = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin !== origin) {
      problems.push(`request leaving the node: ${url}`);
      return route.abort();
    }
    return route.continue();
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure() && req.failure().errorText}`));
  return { context, page, problems };
}

module.exports = { chromiumMissing, outputDir, startStory, launchBrowser, guardedPage, CHROMIUM };
