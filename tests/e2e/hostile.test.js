// Hostile input never crashes the node or changes its state (DESIGN §7, §8): oversized bodies, deep
// nesting, garbage, wrong media types, malformed paths, and idle or trickling connections that must not
// starve a well-behaved client.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const net = require('node:net');
const { initHome, startNode, request, sleep, Party } = require('./lib/onebill');

function problem(res, status, rule, what) {
  assert.equal(res.status, status, `${what}: ${res.status} ${res.text}`);
  assert.equal(res.headers['content-type'], 'application/problem+json', what);
  if (rule) assert.equal(res.body.type, `/v1/problems/${rule}`, `${what}: ${res.text}`);
}

// Raw bytes on a fresh connection; resolves with what came back before the server closed (or timeout).
function raw(port, bytes, { timeoutMs = 3000 } = {}) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks = [];
    socket.on('data', (d) => chunks.push(d));
    const done = () => resolve(Buffer.concat(chunks).toString('latin1'));
    socket.on('close', done);
    socket.on('error', done);
    socket.setTimeout(timeoutMs, () => socket.destroy());
    socket.write(bytes);
  });
}

test('hostile input is refused with a problem and changes nothing; idle connections do not starve clients', async (t) => {
  const home = initHome();
  const node = await startNode(home);
  t.after(async () => {
    await node.stop();
    fs.rmSync(home.dir, { recursive: true, force: true });
  });
  const before = (await request(node.port, 'GET', '/v1/status')).body;

  // Oversized bodies: refused before they are read.
  problem(await request(node.port, 'POST', '/v1/tx', { rawBody: 'x'.repeat(100 * 1024) }), 413, 'too-large', 'big tx');
  problem(await request(node.port, 'POST', '/v1/txs', { rawBody: '['.padEnd(2 * 1024 * 1024, ' ') }), 413, 'too-large',
    'big batch');
  const chunked = await raw(
    node.port,
    'POST /v1/tx HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n' +
      ('4000\r\n' + 'a'.repeat(0x4000) + '\r\n').repeat(8) + '0\r\n\r\n',
  );
  assert.match(chunked, /^HTTP\/1\.1 413/, 'chunked oversized body');

  // Deep nesting: refused before a DOM is built.
  problem(await request(node.port, 'POST', '/v1/tx', { rawBody: '['.repeat(4000) }), 400, 'too-deep', 'deep tx');
  problem(await request(node.port, 'POST', '/v1/txs', { rawBody: '['.repeat(200000) + ']'.repeat(200000) }), 400,
    'too-deep', 'deep batch');
  problem(await request(node.port, 'POST', '/v1/tx', { rawBody: '{"a":'.repeat(1000) + '1' + '}'.repeat(1000) }), 400,
    'too-deep', 'deep object');

  // Garbage, wrong shapes, wrong media type.
  problem(await request(node.port, 'POST', '/v1/tx', { rawBody: '\x00\xff\xfe garbage' }), 400, 'malformed-json', 'garbage');
  problem(await request(node.port, 'POST', '/v1/tx', { rawBody: Buffer.from([0x22, 0xc3, 0x28, 0x22]) }), 400,
    'malformed-json', 'invalid UTF-8');
  problem(await request(node.port, 'POST', '/v1/tx', { rawBody: '{"a":1,"a":2}' }), 400, 'duplicate-key', 'duplicate key');
  problem(await request(node.port, 'POST', '/v1/tx', { rawBody: '[]' }), 400, null, 'an array');
  problem(await request(node.port, 'POST', '/v1/txs', { rawBody: '{}' }), 400, 'wrong-type', 'batch not an array');
  problem(await request(node.port, 'POST', '/v1/tx', { rawBody: '{}', headers: { 'content-type': 'text/plain' } }), 415,
    'unsupported-media-type', 'text/plain');
  problem(await request(node.port, 'POST', '/v1/tx?wait=later', { rawBody: '{}' }), 400, 'bad-request', 'bad wait');
  problem(await request(node.port, 'GET', '/v1/bills/not-a-hash'), 400, 'wrong-type', 'bad bill id');
  problem(await request(node.port, 'GET', '/v1/bills/0x' + '00'.repeat(32)), 404, 'not-found', 'unknown bill');
  problem(await request(node.port, 'GET', '/v1/blocks/01'), 400, 'bad-request', 'bad height');
  problem(await request(node.port, 'GET', '/v1/blocks/99999999999999999999999'), 400, 'bad-request', 'huge height');
  problem(await request(node.port, 'GET', '/v1/participants/0xZZ'), 400, null, 'bad address');
  problem(await request(node.port, 'GET', '/v1/nowhere'), 404, 'not-found', 'unknown route');
  const batch = await request(node.port, 'POST', '/v1/txs', { body: [{}, 'x', 1, null] });
  assert.equal(batch.status, 200);
  assert.equal(batch.body.refused, 4);

  // A well-formed transaction signed by someone else than `from`.
  const party = new Party(node, home, 'carrier-sea');
  const other = new Party(node, home, 'bank');
  const signed = await other.sign('bill.release', { bill: '0x' + '11'.repeat(32) });
  problem(await request(node.port, 'POST', '/v1/tx', { body: { ...signed.tx, from: party.address } }), 422,
    'signer-mismatch', 'wrong signer');
  // A high-s or uppercase signature is malformed, never normalised.
  problem(await request(node.port, 'POST', '/v1/tx', { body: { ...signed.tx, sig: signed.tx.sig.toUpperCase().replace('0X', '0x') } }),
    400, 'signature-encoding', 'uppercase sig');

  // Garbage on the wire itself.
  const garbage = await raw(node.port, 'GARBAGE\r\n\r\n');
  assert.match(garbage, /^HTTP\/1\.1 400/);
  const longLine = await raw(node.port, 'GET /' + 'a'.repeat(20000) + ' HTTP/1.1\r\n\r\n');
  assert.match(longLine, /^HTTP\/1\.1 (414|400)/);

  // Idle and trickling connections (more than the 32 workers) do not starve a well-behaved client.
  const idle = [];
  for (let i = 0; i < 80; i++) {
    const socket = net.connect(node.port, '127.0.0.1');
    socket.on('error', () => {});
    idle.push(socket);
    if (i % 2 === 0) socket.write('GET /v1/status HTTP/1.1\r\nHost: x\r\n'); // never finishes its headers
  }
  const trickle = setInterval(() => {
    for (const socket of idle) if (!socket.destroyed) socket.write('X');
  }, 500);
  try {
    await sleep(300);
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      const res = await request(node.port, 'GET', '/v1/status', { timeoutMs: 5000 });
      assert.equal(res.status, 200);
      assert.ok(Date.now() - started < 3000, `status took ${Date.now() - started} ms beside idle connections`);
      await sleep(200);
    }
  } finally {
    clearInterval(trickle);
    for (const socket of idle) socket.destroy();
  }

  // Nothing changed, and the node still works.
  const after = (await request(node.port, 'GET', '/v1/status')).body;
  assert.equal(after.height, before.height);
  assert.equal(after.latest_block_hash, before.latest_block_hash);
  const ok = await party.send('bill.issue', {
    id: '0x' + '22'.repeat(32),
    reference: 'HOSTILE-1',
    kind: 'SWB',
    to_order: false,
    holder: other.address,
    beneficiary: other.address,
    legs: [{ mode: 'SEA', carrier: party.address, from: 'CNQZH', to: 'SGSIN' }],
  });
  assert.ok(ok.status === 200 || ok.status === 409, `${ok.status} ${ok.text}`);
  assert.equal(node.child.exitCode, null, 'the node is still running');
});
