// OneBill against the reference library @tradetrust-tt/tradetrust (DESIGN §6, issue 4), both directions,
// on random documents (tradetrust-random.js): library-wrapped documents verify in OneBill with the same
// targetHash; OneBill-wrapped ones pass the library's verifySignature and unwrap to the same data;
// batches and obfuscation both ways; any single changed leaf fails in both.
"use strict";

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const tt = require("@tradetrust-tt/tradetrust");
const { generator, randomDocument } = require("./tradetrust-random.js");

const BIN = process.env.ONEBILL_BIN;
const DOCUMENTS = Number(process.env.ONEBILL_TT_DOCUMENTS || 500);
// Obfuscation runs OneBill once per document and direction, so it takes a subset.
const OBFUSCATED = Math.min(DOCUMENTS, Number(process.env.ONEBILL_TT_OBFUSCATED || 150));
const SEED = Number(process.env.ONEBILL_TT_SEED || 20260105);
const EXIT_INVALID = 1;
const EXIT_INTACT_OFFLINE = 3;

let dir;
const raws = [];
const rawFiles = [];
const libraryWrapped = [];

function onebill(args) {
  const run = spawnSync(BIN, args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (run.error) throw run.error;
  return run;
}

function write(name, value) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
}

// `onebill doc verify --offline --json` over many files in one process: one JSON line per file.
function verifyInOneBill(files) {
  const lines = [];
  for (let start = 0; start < files.length; start += 200) {
    const chunk = files.slice(start, start + 200);
    const run = onebill(["doc", "verify", "--offline", "--json", ...chunk]);
    const out = run.stdout.trim().split("\n").map((line) => JSON.parse(line));
    assert.equal(out.length, chunk.length, run.stderr);
    lines.push(...out);
  }
  return lines;
}

// Every primitive leaf of a wrapped document's data, as [parent, key] pairs (all are salted strings).
function saltedLeaves(data) {
  const leaves = [];
  const visit = (node) => {
    for (const key of Object.keys(node)) {
      const value = node[key];
      if (typeof value === "string") leaves.push([node, key]);
      else if (value !== null && typeof value === "object") visit(value);
    }
  };
  visit(data);
  return leaves;
}

// A copy with one leaf changed in one of the ways an attacker might: the value, the type or the salt.
function tamper(document, rng) {
  const copy = JSON.parse(JSON.stringify(document));
  const leaves = saltedLeaves(copy.data);
  const [parent, key] = leaves[rng.int(leaves.length)];
  const salted = parent[key];
  switch (rng.int(3)) {
    case 0: parent[key] = salted + "x"; break;
    case 1: parent[key] = salted.replace(/:(string|number|boolean|null):/, (m, type) => (type === "string" ? ":number:" : ":string:")); break;
    default: parent[key] = (salted[0] === "a" ? "b" : "a") + salted.slice(1); break;
  }
  if (parent[key] === salted) parent[key] = salted + " ";
  return copy;
}

// Paths the library and OneBill both obfuscate safely: every segment a plain lodash property (no
// brackets, not empty, no NUL, which a command line cannot carry), the parent an object that keeps
// another field. Array elements and last fields are refused by OneBill (see tradetrust/obfuscate.h).
function obfuscatablePaths(data) {
  const paths = [];
  const visit = (node, prefix) => {
    const keys = Object.keys(node);
    for (const key of keys) {
      const plain = key !== "" && !/[[\]\u0000]/.test(key);
      if (!plain) continue;
      const segments = [...prefix, key];
      if (!Array.isArray(node) && (prefix.length === 0 || keys.length > 1)) paths.push(segments.join("."));
      const value = node[key];
      if (value !== null && typeof value === "object") visit(value, segments);
    }
  };
  visit(data, []);
  return paths;
}

before(() => {
  assert.ok(BIN, "ONEBILL_BIN must name the onebill binary");
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "onebill-tradetrust-"));
  const rng = generator(SEED);
  for (let i = 0; i < DOCUMENTS; i += 1) {
    const raw = randomDocument(rng);
    raws.push(raw);
    rawFiles.push(write(`raw-${i}.json`, raw));
    libraryWrapped.push(tt.wrapDocument(raw));
  }
});

after(() => {
  if (dir && !process.env.ONEBILL_KEEP_TMP) fs.rmSync(dir, { recursive: true, force: true });
});

test("the library loads without its postinstall step", () => {
  assert.equal(typeof tt.wrapDocument, "function");
  assert.equal(typeof tt.verifySignature, "function");
  assert.equal(typeof tt.obfuscate, "function");
});

test("library-wrapped documents verify in OneBill with the same targetHash", () => {
  const files = libraryWrapped.map((document, i) => write(`library-${i}.json`, document));
  const results = verifyInOneBill(files);
  results.forEach((result, i) => {
    assert.equal(result.exit, EXIT_INTACT_OFFLINE, `document ${i}: ${JSON.stringify(result)}`);
    assert.equal(result.targetHash, libraryWrapped[i].signature.targetHash, `document ${i}`);
    assert.equal(result.merkleRoot, libraryWrapped[i].signature.merkleRoot, `document ${i}`);
  });
});

const onebillWrapped = [];

test("OneBill-wrapped documents pass the library's verifySignature and unwrap to the same data", () => {
  // One document printed, the rest wrapped singly in one process into a directory.
  const single = onebill(["doc", "wrap", rawFiles[0]]);
  assert.equal(single.status, 0, single.stderr);
  const outDir = path.join(dir, "onebill-single");
  const run = onebill(["doc", "wrap", ...rawFiles.slice(1), "--out-dir", outDir]);
  assert.equal(run.status, 0, run.stderr);
  raws.forEach((raw, i) => {
    const wrapped = i === 0 ? JSON.parse(single.stdout)
      : JSON.parse(fs.readFileSync(path.join(outDir, path.basename(rawFiles[i])), "utf8"));
    onebillWrapped.push(wrapped);
    assert.deepEqual(wrapped.signature.proof, [], `document ${i} is wrapped singly`);
    assert.equal(tt.verifySignature(wrapped), true, `document ${i}`);
    assert.deepEqual(tt.getData(wrapped), tt.getData(libraryWrapped[i]), `document ${i}`);
    assert.equal(wrapped.version, libraryWrapped[i].version);
    assert.equal(tt.utils.isWrappedV2Document(wrapped), true, `document ${i}`);
  });
});

test("library batches verify in OneBill, and OneBill batches in the library", () => {
  const rng = generator(SEED + 1);
  const libraryFiles = [];
  const expected = [];
  const onebillRoots = new Set();
  let batch = 0;
  for (let start = 0; start < raws.length; batch += 1) {
    const size = 1 + rng.int(9);
    const members = raws.slice(start, start + size);
    const files = rawFiles.slice(start, start + size);
    start += size;
    // Library → OneBill.
    tt.wrapDocuments(members).forEach((document, k) => {
      libraryFiles.push(write(`library-batch-${batch}-${k}.json`, document));
      expected.push(document);
    });
    // OneBill → library.
    const outDir = path.join(dir, `onebill-batch-${batch}`);
    const run = onebill(["doc", "wrap-batch", ...files, "--out-dir", outDir]);
    assert.equal(run.status, 0, run.stderr);
    const roots = new Set();
    files.forEach((file, k) => {
      const document = JSON.parse(fs.readFileSync(path.join(outDir, path.basename(file)), "utf8"));
      assert.equal(tt.verifySignature(document), true, `batch ${batch} document ${k}`);
      assert.deepEqual(tt.getData(document), tt.getData(tt.wrapDocument(members[k])));
      assert.equal(document.signature.proof.length > 0, members.length > 1);
      roots.add(document.signature.merkleRoot);
    });
    assert.equal(roots.size, 1, `batch ${batch} shares one merkleRoot`);
    onebillRoots.add([...roots][0]);
  }
  assert.equal(onebillRoots.size, batch, "every batch has its own root");
  verifyInOneBill(libraryFiles).forEach((result, i) => {
    assert.equal(result.exit, EXIT_INTACT_OFFLINE, JSON.stringify(result));
    assert.equal(result.targetHash, expected[i].signature.targetHash);
    assert.equal(result.merkleRoot, expected[i].signature.merkleRoot);
  });
});

test("obfuscation agrees both ways", () => {
  const rng = generator(SEED + 2);
  const libraryFiles = [];
  let checked = 0;
  raws.slice(0, OBFUSCATED).forEach((raw, i) => {
    const candidates = obfuscatablePaths(raw);
    if (candidates.length === 0) return;
    // Two fields, unless they share a parent (together they might empty it, which OneBill refuses).
    const first = rng.pick(candidates);
    const second = rng.pick(candidates);
    const parentOf = (p) => p.split(".").slice(0, -1).join(".");
    const chosen = first === second || parentOf(first) === parentOf(second) ? [first] : [first, second];
    // Library → OneBill: the library's obfuscated document verifies in OneBill.
    const byLibrary = tt.obfuscate(libraryWrapped[i], chosen);
    libraryFiles.push(write(`library-obfuscated-${i}.json`, byLibrary));
    // OneBill on the same document hides the same leaves.
    const file = write(`library-for-obfuscation-${i}.json`, libraryWrapped[i]);
    const same = onebill(["doc", "obfuscate", file, "--", ...chosen]);
    assert.equal(same.status, 0, `document ${i} paths ${JSON.stringify(chosen)}: ${same.stderr}`);
    const ours = JSON.parse(same.stdout);
    assert.deepEqual(ours.data, JSON.parse(JSON.stringify(byLibrary.data)), `document ${i}`);
    assert.deepEqual([...ours.privacy.obfuscatedData].sort(), [...byLibrary.privacy.obfuscatedData].sort());
    // OneBill → library: OneBill obfuscates its own wrapped document; the library accepts it.
    const own = write(`onebill-for-obfuscation-${i}.json`, onebillWrapped[i]);
    const mine = onebill(["doc", "obfuscate", own, "--", ...chosen]);
    assert.equal(mine.status, 0, mine.stderr);
    assert.equal(tt.verifySignature(JSON.parse(mine.stdout)), true, `document ${i}`);
    checked += 1;
  });
  assert.ok(checked >= OBFUSCATED / 2, `only ${checked} documents had obfuscatable fields`);
  verifyInOneBill(libraryFiles).forEach((result) => assert.equal(result.exit, EXIT_INTACT_OFFLINE, JSON.stringify(result)));
});

test("obfuscating an array element or a last field is refused by OneBill and breaks the library's document", () => {
  const raw = { issuers: [{ name: "A", documentStore: "0x" + "1".repeat(40), identityProof: { type: "DNS-TXT", location: "a.test" } }],
    list: ["x", "y"], only: { field: 1 } };
  const wrapped = tt.wrapDocument(raw);
  const file = write("refusals.json", wrapped);
  for (const field of ["list.0", "only.field"]) {
    const run = onebill(["doc", "obfuscate", file, field]);
    assert.equal(run.status, 2, `OneBill refuses ${field}`);
    assert.match(run.stderr, /invalid-body/);
    const written = JSON.parse(JSON.stringify(tt.obfuscate(wrapped, [field])));
    assert.equal(tt.verifySignature(written), false, `the library's result for ${field} no longer verifies once written`);
  }
});

test("any single changed leaf fails in both", () => {
  const rng = generator(SEED + 3);
  const files = [];
  const tampered = [];
  [...libraryWrapped, ...onebillWrapped].forEach((document, i) => {
    const changed = tamper(document, rng);
    assert.equal(tt.verifySignature(changed), false, `the library accepts tampered document ${i}`);
    tampered.push(changed);
    files.push(write(`tampered-${i}.json`, changed));
  });
  verifyInOneBill(files).forEach((result, i) => {
    assert.equal(result.exit, EXIT_INVALID, `OneBill accepts tampered document ${i}: ${JSON.stringify(tampered[i].data)}`);
    assert.equal(result.fragments[0].status, "INVALID");
  });
});

test("structurally mangled documents get an answer, never a crash", () => {
  const rng = generator(SEED + 4);
  const replacements = [null, 0, -1.5, true, "", "zz", [], {}, ["a"], { a: 1 }, "0".repeat(64), "0x" + "0".repeat(64)];
  const files = [];
  const documents = [...libraryWrapped.slice(0, 100), ...onebillWrapped.slice(0, 100)];
  documents.forEach((document, i) => {
    const copy = JSON.parse(JSON.stringify(document));
    if (i % 3 === 0) {
      copy.proof = [{ type: "OpenAttestationSignature2018", verificationMethod: rng.pick(["did:ethr:0x12", "x", "did:ethr:" + "0x" + "a".repeat(40) + "#controller"]), signature: rng.pick(["0x00", "0x" + "1".repeat(130), 7]) }];
    }
    // Replace one node anywhere (signature, privacy, data, or the root's members) by a value of another kind.
    const nodes = [];
    const visit = (node) => {
      for (const key of Object.keys(node)) {
        nodes.push([node, key]);
        if (node[key] !== null && typeof node[key] === "object") visit(node[key]);
      }
    };
    visit(copy);
    const [parent, key] = nodes[rng.int(nodes.length)];
    if (rng.int(4) === 0 && !Array.isArray(parent)) delete parent[key];
    else parent[key] = rng.pick(replacements);
    files.push(write(`mangled-${i}.json`, copy));
  });
  const run = onebill(["doc", "verify", "--offline", "--json", ...files]);
  assert.notEqual(run.status, null, `OneBill died: ${run.signal} ${run.stderr}`);
  const lines = run.stdout.trim().split("\n").map((line) => JSON.parse(line));
  assert.equal(lines.length, files.length);
  for (const line of lines) assert.ok([1, 3].includes(line.exit), JSON.stringify(line));
});
