// The page for bank and customs officers in a real browser (issue 10): Debian's chromium, driven by
// playwright-core, against a real node holding a real bill made with the CLI. A valid and a tampered
// document are verified, an unknown one is shown as such, a bill is opened from a verified document and by
// id and its timeline and route read, the language switched and remembered, the chain view read; at 1280
// and 375 px wide. Every step fails on a console error, a page error, or a request leaving the node.
// Screenshots go to <build>/test-output/browser/ (or $ONEBILL_TEST_OUTPUT/browser/).
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { chromiumMissing, outputDir, startStory, launchBrowser, guardedPage } = require('./lib/fixture');

const skip = chromiumMissing();
if (skip) console.log(`# SKIP ${skip}`);

test('the page for bank and customs officers, in chromium', { skip: skip || false, timeout: 200000 }, async (t) => {
  const story = await startStory();
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close();
    await story.stop();
  });
  const shots = outputDir();
  const history = (await story.get(`/v1/bills/${story.bill.id}/history`)).body.entries;
  const status = (await story.get('/v1/status')).body;

  // Each subtest gets a fresh guarded page and ends with no console error and no outside request.
  async function withPage(options, body) {
    const { context, page, problems } = await guardedPage(browser, story.origin, options);
    try {
      await body(page, context);
      await page.waitForLoadState('networkidle');
      const allowed = options.allowedConsoleErrors || [];
      const unexpected = problems.filter((problem) => !allowed.some((pattern) => pattern.test(problem)));
      assert.deepEqual(unexpected, [], 'no console errors, page errors or requests leaving the node');
    } finally {
      await context.close();
    }
  }
  const shot = (page, name) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
  const verify = async (page, file) => {
    await page.setInputFiles('#file', file);
    await page.waitForSelector('#verdict');
    return page.getAttribute('#verdict', 'data-verdict');
  };
  const checkStatus = (page, type) => page.getAttribute(`[data-check="${type}"]`, 'data-status');

  await t.test('a valid document passes the three checks and shows who controls the bill now', async () => {
    await withPage({}, async (page) => {
      await page.goto(`${story.origin}/`);
      assert.equal(await page.getAttribute('html', 'lang'), 'en');
      assert.equal(await verify(page, story.bill.file), 'valid');
      for (const type of ['DOCUMENT_INTEGRITY', 'DOCUMENT_STATUS', 'ISSUER_IDENTITY']) {
        assert.equal(await checkStatus(page, type), 'VALID', type);
      }
      assert.match(await page.textContent('[data-check="ISSUER_IDENTITY"]'), new RegExp(story.names['carrier-rail'].replace(/[()]/g, '\\$&')));
      const control = await page.textContent('#control');
      assert.match(control, /Possessor/);
      assert.ok(control.includes(story.names.bank), 'the bank holds the pledged bill');
      assert.ok(control.includes('LC-2026-0042'), 'the pledge reference');
      assert.ok(control.includes(`block ${status.height}`) || /block \d+/.test(control), 'the height the answer is valid at');
      await shot(page, 'verify-valid-1280');
    });
  });

  await t.test('a tampered document is shown as tampered, and an unknown one as never issued', async () => {
    await withPage({}, async (page) => {
      await page.goto(`${story.origin}/#/verify`);
      assert.equal(await verify(page, story.tampered), 'tampered');
      assert.equal(await checkStatus(page, 'DOCUMENT_INTEGRITY'), 'INVALID');
      assert.match(await page.textContent('#verdict'), /Tampered/);
      assert.equal(await page.$('#control'), null, 'no control shown for a changed document');
      await shot(page, 'verify-tampered-1280');

      await page.setInputFiles('#file', story.unissued.file);
      await page.waitForSelector('#verdict[data-verdict="unknown"]');
      assert.equal(await checkStatus(page, 'DOCUMENT_STATUS'), 'INVALID');
      assert.match(await page.textContent('#verdict'), /never issued/);
    });
  });

  await t.test('a dropped file is verified like a picked one, and the picker opens from the keyboard', async () => {
    await withPage({}, async (page) => {
      // Listening from the start turns on chromium's file chooser interception before the key press.
      page.on('filechooser', () => {});
      await page.goto(`${story.origin}/#/verify`);
      const text = require('node:fs').readFileSync(story.bill.file, 'utf8');
      await page.evaluate((content) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([content], 'bill.json', { type: 'application/json' }));
        document.getElementById('drop').dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      }, text);
      await page.waitForSelector('#verdict[data-verdict="valid"]');
      await page.focus('label[for="file"]');
      const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Enter')]);
      assert.ok(chooser, 'Enter on the focused picker opens the file chooser');
    });
  });

  await t.test('a bill opened from a verified document shows every action and leg event, and its route', async () => {
    await withPage({}, async (page) => {
      await page.goto(`${story.origin}/`);
      await verify(page, story.bill.file);
      await page.click('#open-verified-bill');
      await page.waitForSelector('#timeline');
      assert.equal(new URL(page.url()).hash, `#/bill/${story.bill.id}`);
      const entries = await page.$$('#timeline > li');
      assert.equal(entries.length, history.length, 'one timeline entry per history entry');
      const timeline = await page.textContent('#timeline');
      for (const phrase of ['Issued', 'Leg event', 'Pledged to a bank', 'Leg 1 (Rail): Departed at Chongqing (CNCKG)',
        'Leg 2 (Sea): Received at Qinzhou (CNQZH)', 'MV Lancang', story.names['carrier-rail'], story.names['carrier-sea'],
        story.names.shipper, 'block 1', `block ${history[history.length - 1].height}`]) {
        assert.ok(timeline.includes(phrase), `the timeline says "${phrase}"`);
      }
      for (const entry of history) assert.ok(timeline.includes(entry.signer), `signer address ${entry.signer}`);
      // The route: rail Chongqing -> Qinzhou handed over, sea Qinzhou -> Singapore received.
      const route = await page.getAttribute('#route', 'aria-label');
      // Receiving on the sea leg records the rail leg's handover too (DESIGN §4).
      assert.match(route, /Leg 1, Rail, Chongqing to Qinzhou: Handed over/);
      assert.match(route, /Leg 2, Sea, Qinzhou to Singapore: Received/);
      assert.equal((await page.$$('#route line.progress')).length, 2);
      await shot(page, 'bill-1280');
    });
  });

  await t.test('a bill opened by its id, at 375 px wide, fits the screen', async () => {
    await withPage({ width: 375, height: 812 }, async (page) => {
      await page.goto(`${story.origin}/#/bill`);
      await page.fill('#bill-id', story.bill.id.toUpperCase().replace('0X', '0x'));
      await page.press('#bill-id', 'Enter');
      await page.waitForSelector('#timeline');
      assert.equal((await page.$$('#timeline > li')).length, history.length);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `no sideways scrolling at 375 px (overflow ${overflow} px)`);
      await shot(page, 'bill-375');
      await page.goto(`${story.origin}/#/verify`);
      await verify(page, story.bill.file);
      const overflowVerify = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflowVerify <= 0, `verify fits 375 px (overflow ${overflowVerify} px)`);
      await shot(page, 'verify-valid-375');
    });
  });

  await t.test('the language switches to Chinese, is remembered, and defaults from the browser', async () => {
    await withPage({}, async (page) => {
      await page.goto(`${story.origin}/#/bill/${story.bill.id}`);
      await page.waitForSelector('#timeline');
      await page.click('#lang-zh');
      assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
      assert.equal(await page.getAttribute('#lang-zh', 'aria-pressed'), 'true');
      assert.equal(await page.textContent('#tab-verify'), '核验文件');
      assert.match(await page.textContent('#timeline-title'), /时间线/);
      assert.match(await page.textContent('#timeline'), /签发/);
      assert.match(await page.getAttribute('#route', 'aria-label'), /铁路，重庆 至 钦州/);
      await shot(page, 'bill-zh-1280');
      await page.reload();
      await page.waitForSelector('#timeline');
      assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN', 'remembered after a reload');
      await page.goto(`${story.origin}/#/verify`);
      assert.equal(await verify(page, story.tampered), 'tampered');
      assert.match(await page.textContent('#verdict'), /篡改/);
      await shot(page, 'verify-tampered-zh-1280');
      await page.click('#lang-en');
      assert.match(await page.textContent('#verdict'), /Tampered/);
    });
    await withPage({ locale: 'zh-CN', width: 375, height: 812 }, async (page) => {
      await page.goto(`${story.origin}/`);
      assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN', 'a Chinese browser starts in Chinese');
      assert.equal(await verify(page, story.bill.file), 'valid');
      assert.match(await page.textContent('#verdict'), /有效/);
      await shot(page, 'verify-valid-zh-375');
    });
  });

  await t.test('the chain view shows the height, recent blocks with their commits, and the validators', async () => {
    await withPage({}, async (page) => {
      await page.goto(`${story.origin}/`);
      await page.click('#tab-chain');
      await page.waitForSelector('#block-list');
      const height = Number(await page.textContent('#chain-height'));
      assert.ok(height >= status.height, `height ${height}`);
      const blocks = await page.$$('#block-list > details');
      assert.equal(blocks.length, Math.min(10, height));
      assert.equal(await blocks[0].getAttribute('data-height'), String(height), 'newest first');
      await blocks[0].click();
      const first = await blocks[0].textContent();
      assert.match(first, /commit: 1 signature/);
      assert.ok(first.includes(status.validators[0].address), 'the commit names its validator');
      assert.ok((await page.textContent('#view-chain')).includes(status.validators[0].consensus_key));
      assert.match(await page.textContent('#node-status'), new RegExp(status.chain));
      await shot(page, 'chain-1280');
    });
  });

  await t.test('a search the node refuses (401, not the operator) is explained, not shown as a failure of the page', async () => {
    // From another machine the node answers searches 401 (DESIGN §7). The browser's own connection is
    // always the operator's here, so the node's refusal is replayed for this one route.
    const refusal = { type: '/v1/problems/unauthorized', title: 'unauthorized', status: 401, rule: 'unauthorized',
      detail: 'This read needs an Authorization: OneBill header.' };
    await withPage({ allowedConsoleErrors: [/status of 401/] }, async (page, context) => {
      await context.route(/\/v1\/bills\?/, (route) => route.fulfill({ status: 401, contentType: 'application/problem+json',
        body: JSON.stringify(refusal) }));
      await page.goto(`${story.origin}/#/search`);
      await page.selectOption('#search-by', 'holder');
      await page.fill('#search-value', story.bill.id.slice(0, 42));
      await page.click('#search-form button[type="submit"]');
      await page.waitForSelector('#search-result [role="alert"]');
      const text = await page.textContent('#search-result');
      assert.match(text, /open only to the node’s operator/);
      assert.match(text, /onebill bill find/);
      assert.match(text, /HTTP 401 · unauthorized/);
    });
  });

  await t.test('the operator searches by pledgee, destination, issuer and reference, and status, and opens a bill found', async () => {
    await withPage({}, async (page) => {
      await page.goto(`${story.origin}/#/search`);
      const search = async (by, value, reference) => {
        await page.selectOption('#search-by', by);
        if (by === 'status') await page.selectOption('#search-status', value);
        else await page.fill('#search-value', value);
        if (reference !== undefined) await page.fill('#search-reference', reference);
        await page.click('#search-form button[type="submit"]');
        await page.waitForSelector('#search-result[data-state="done"] #search-list', { state: 'attached' });
        return page.$$eval('#search-list > li', (items) => items.map((item) => item.textContent));
      };
      let found = await search('pledgee', story.addresses.bank);
      assert.equal(found.length, 1);
      assert.ok(found[0].includes('CKGSIN-WEB-1') && found[0].includes(story.bill.id), found[0]);
      assert.equal((await search('to', 'sgsin')).length, 1, 'a destination typed in lower case');
      assert.equal((await search('issuer', story.addresses['carrier-rail'], 'CKGSIN-WEB-1')).length, 1);
      assert.equal((await search('issuer', story.addresses['carrier-rail'], 'NO-SUCH-REF')).length, 0);
      assert.equal((await search('status', 'ISSUED')).length, 1);
      assert.equal((await search('status', 'SURRENDERED')).length, 0);
      await search('holder', story.addresses.bank);
      await shot(page, 'search-1280');
      await page.click(`#search-list a[href="#/bill/${story.bill.id}"]`);
      await page.waitForSelector('#timeline');
      assert.equal((await page.$$('#timeline > li')).length, history.length);
    });
  });
});
