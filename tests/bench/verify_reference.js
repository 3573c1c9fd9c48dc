// The reference side of `onebill bench`'s document verification (issue 9 item 3): verifies the same
// wrapped documents with @tradetrust-tt/tradetrust's verifySignature (the integrity check a stock
// TradeTrust verifier makes; status and identity come from OneBill nodes) for a given time and prints
// one JSON line: {"docs_per_s", "verified", "valid", "seconds"}.
//   node verify_reference.js DOCUMENTS.json SECONDS     (DOCUMENTS.json: a JSON array of wrapped documents)
// `onebill bench` runs it with NODE_PATH=tests/conformance/node_modules.
'use strict';

const fs = require('node:fs');
const { verifySignature } = require('@tradetrust-tt/tradetrust');

const [file, secondsText] = process.argv.slice(2);
if (!file) {
  console.error('usage: node verify_reference.js DOCUMENTS.json [SECONDS]');
  process.exit(2);
}
const seconds = Math.max(0.1, Number(secondsText || '2'));
const documents = JSON.parse(fs.readFileSync(file, 'utf8'));
if (!Array.isArray(documents) || documents.length === 0) {
  console.error('the file must hold a non-empty JSON array of wrapped documents');
  process.exit(2);
}

// Every document once, untimed: a refusal is reported, never turned into a rate.
let valid = 0;
for (const document of documents) if (verifySignature(document)) valid += 1;

const started = process.hrtime.bigint();
const limit = started + BigInt(Math.round(seconds * 1e9));
let verified = 0;
let now = started;
while (now < limit || verified < documents.length) {
  if (!verifySignature(documents[verified % documents.length])) valid = -1;
  verified += 1;
  if (verified % 16 === 0) now = process.hrtime.bigint();
}
const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
console.log(JSON.stringify({ docs_per_s: verified / elapsed, verified: documents.length, valid: valid < 0 ? 0 : valid, seconds: elapsed }));
