// The page is served by the node from the binary (issue 10), with headers that keep it to the node's own
// origin: a Content-Security-Policy without inline script or any other origin, nosniff, no framing. Every
// asset the page names is served with its media type; an unknown one is a 404 problem. Its two languages
// have the same words. Needs no browser.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { initHome, startNode, request } = require('../e2e/lib/onebill');

const SOURCE = process.env.ONEBILL_SOURCE_DIR || path.join(__dirname, '..', '..');

test('the node serves the page and its assets from the binary, same origin only', async (t) => {
  const home = initHome();
  const node = await startNode(home);
  t.after(async () => {
    await node.stop();
    fs.rmSync(home.dir, { recursive: true, force: true });
  });
  const get = (target) => request(node.port, 'GET', target);

  await t.test('GET / is the page, with a Content-Security-Policy allowing only the node itself', async () => {
    const page = await get('/');
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type'], /^text\/html; charset=utf-8/);
    const policy = page.headers['content-security-policy'];
    assert.ok(policy, 'a Content-Security-Policy');
    assert.match(policy, /default-src 'none'/);
    assert.match(policy, /script-src 'self'(;|$)/);
    assert.match(policy, /connect-src 'self'(;|$)/);
    assert.match(policy, /frame-ancestors 'none'/);
    assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval|https?:|\*/);
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    // No inline script, no inline style, nothing from another origin.
    assert.doesNotMatch(page.text, /<script(?![^>]*\bsrc=)[^>]*>/i);
    assert.doesNotMatch(page.text, /\sstyle=|<style/i);
    assert.doesNotMatch(page.text, /(src|href)="(https?:)?\/\//i);
  });

  await t.test('every asset the page names is served with its media type and the same policy', async () => {
    const page = await get('/');
    const assets = [...page.text.matchAll(/(?:src|href)="(\/web\/[^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual([...new Set(assets)].sort(), ['/web/app.js', '/web/i18n.js', '/web/icon.svg', '/web/style.css']);
    const types = { js: /^text\/javascript/, css: /^text\/css/, svg: /^image\/svg\+xml/ };
    for (const asset of new Set(assets)) {
      const answer = await get(asset);
      assert.equal(answer.status, 200, asset);
      assert.match(answer.headers['content-type'], types[asset.split('.').pop()], asset);
      assert.equal(answer.headers['content-security-policy'], page.headers['content-security-policy'], asset);
      // Served from the binary: byte for byte the file in the tree it was built from.
      assert.equal(answer.text, fs.readFileSync(path.join(SOURCE, 'api', asset), 'utf8'), asset);
    }
  });

  await t.test('an unknown asset or a path outside /web/ is a 404 problem, never a file from disk', async () => {
    for (const target of ['/web/missing.js', '/web/..%2Fserver.cpp', '/web/../openapi.json', '/web/', '/index.html',
      '/web/.%2e/.%2e/etc/passwd']) {
      const answer = await get(target);
      assert.equal(answer.status, 404, target);
    }
    const missing = await get('/web/missing.js');
    assert.match(missing.headers['content-type'], /^application\/problem\+json/);
    assert.equal(missing.body.rule, 'not-found');
  });

  await t.test('the API routes are unchanged by the page', async () => {
    const status = await get('/v1/status');
    assert.equal(status.status, 200);
    assert.equal(status.body.chain, home.chain);
  });
});

test('the page has every word in both languages', () => {
  const sandbox = { window: {} };
  vm.runInNewContext(fs.readFileSync(path.join(SOURCE, 'api', 'web', 'i18n.js'), 'utf8'), sandbox);
  const { en, zh } = sandbox.window.ONEBILL_TEXT;
  assert.deepEqual(Object.keys(zh).sort(), Object.keys(en).sort());
  for (const [key, text] of Object.entries(zh)) {
    const placeholders = (s) => (s.match(/\{\w+\}/g) || []).sort();
    assert.deepEqual(placeholders(text), placeholders(en[key]), key);
  }
  // Every key the page asks for exists.
  const app = fs.readFileSync(path.join(SOURCE, 'api', 'web', 'app.js'), 'utf8');
  const html = fs.readFileSync(path.join(SOURCE, 'api', 'web', 'index.html'), 'utf8');
  const used = [...app.matchAll(/\bt\('([A-Za-z_]+)'/g), ...html.matchAll(/data-i18n(?:-aria)?="([A-Za-z_]+)"/g)].map((m) => m[1]);
  for (const key of new Set(used)) assert.ok(key in en, `missing word: ${key}`);
});
