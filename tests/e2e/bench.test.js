// `onebill bench` (issue 9): a short run prints one JSON object with every figure of the issue, each
// measured and sane. The figures themselves are docs/PERFORMANCE.md's business; this checks the instrument.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');

const BIN = process.env.ONEBILL_BIN;

function bench(args) {
  return new Promise((resolve) => {
    execFile(BIN, ['bench', ...args], { timeout: 120000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? error.code ?? 1 : 0, stdout, stderr }));
  });
}

test('bench --seconds 2 --json prints every figure of the issue, measured and sane', { timeout: 150000 }, async () => {
  const run = await bench(['--seconds', '2', '--json', '--read-rate', '2000', '--workload-tx-per-s', '2000']);
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'exactly one JSON object on stdout');
  const figures = JSON.parse(lines[0]);
  const positive = ['committed_tx_per_s', 'reads_per_s', 'peak_rss_bytes', 'cpu_s_per_node', 'disk_bytes_per_tx',
    'restart_s', 'sync_s', 'verify_docs_per_s', 'recover_per_s', 'ratio_to_recover'];
  for (const key of positive) {
    assert.equal(typeof figures[key], 'number', `${key} is measured`);
    assert.ok(figures[key] > 0, `${key} > 0 (got ${figures[key]})`);
  }
  assert.ok(figures.read_p99_ms >= 0);
  const { p50, p95, p99 } = figures.latency_ms;
  assert.ok(p50 > 0 && p50 <= p95 && p95 <= p99, `latency quantiles in order: ${p50} ${p95} ${p99}`);
  assert.ok(figures.peak_rss_bytes > 1024 * 1024 && figures.peak_rss_bytes < 64 * 1024 ** 3);
  assert.ok(figures.restart_s < 60 && figures.sync_s < 120);
  assert.ok(Math.abs(figures.ratio_to_recover - figures.committed_tx_per_s / figures.recover_per_s) < 1e-3);
  assert.ok(figures.committed_tx_per_s < figures.recover_per_s * 2, 'throughput cannot beat recovery by far');
  // The reference library is installed next to the e2e tests (NODE_PATH), so it is measured here.
  assert.equal(typeof figures.verify_docs_per_s_reference, 'number', JSON.stringify(figures.notes));
  assert.ok(figures.verify_docs_per_s_reference > 0);
  assert.equal(figures.refused, 0, `the workload is valid: ${JSON.stringify(figures.notes)}`);
  assert.equal(figures.validators, 1);
  assert.equal(figures.submit_batch, 64, 'transactions go in batches by default');
  assert.ok(figures.history_tx > 0);
});

test('bench --batch 1 sends each transaction alone, and the workload commits with nothing refused', { timeout: 150000 }, async () => {
  const run = await bench(['--seconds', '1', '--json', '--batch', '1', '--read-rate', '500', '--workload-tx-per-s', '1000']);
  assert.equal(run.code, 0, run.stderr);
  const figures = JSON.parse(run.stdout.trim());
  assert.equal(figures.submit_batch, 1);
  assert.ok(figures.committed_tx_per_s > 0);
  assert.equal(figures.refused, 0, `the workload is valid: ${JSON.stringify(figures.notes)}`);
  assert.ok(figures.diagnostics.saturation.committed > 0);
});
