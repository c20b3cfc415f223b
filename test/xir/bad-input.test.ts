import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { XmodelError } from '../../src/errors.js';
import { A, Graph, irToXmodel, xmodelToIr } from '../../src/xir/index.js';
import { readXmodelFile } from '../../src/runtime/node/xmodel-file.js';
import { buildModel } from '../../src/models/index.js';
import { quantNet } from './nets.js';

function expectXmodelError(fn: () => unknown, code: string | RegExp, file?: string): XmodelError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof XmodelError, `expected XmodelError, got ${(err as Error)?.name}: ${(err as Error)?.message}`);
    if (typeof code === 'string') assert.equal(err.code, code, err.message);
    else assert.match(err.code, code, err.message);
    if (file) {
      assert.equal(err.file, file);
      assert.ok(err.message.startsWith(`${file}:`), err.message);
    }
    assert.ok(!/\n\s+at /.test(err.message), 'no stack trace in the message');
    assert.ok(err.fix, 'has a fix');
    return err;
  }
  assert.fail('no error thrown');
}

test('empty, random, ONNX and PNG bytes → XmodelError naming the file', () => {
  expectXmodelError(() => Graph.deserialize(new Uint8Array(0), { file: 'e.xmodel' }), 'E_XMODEL_EMPTY', 'e.xmodel');
  let s = 12345;
  const rnd = Uint8Array.from({ length: 4096 }, () => ((s = (s * 1103515245 + 12345) >>> 0), s >>> 24));
  expectXmodelError(() => Graph.deserialize(rnd, { file: 'r.xmodel' }), /^E_XMODEL_/, 'r.xmodel');
  const onnx = buildModel('tiny').onnx;
  const e = expectXmodelError(() => Graph.deserialize(onnx, { file: 'tiny.onnx' }), 'E_XMODEL_NOT_XMODEL', 'tiny.onnx');
  assert.match(e.message, /field 1 \(graph_name\) has wire type 0/);
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  expectXmodelError(() => Graph.deserialize(png, { file: 'x.png' }), /^E_XMODEL_/, 'x.png');
});

test('every truncation of a valid xmodel is reported, none crashes', () => {
  const bytes = irToXmodel(quantNet()).serialize();
  const codes = new Set<string>();
  for (let n = 1; n < bytes.length; n++) {
    const e = expectXmodelError(() => Graph.deserialize(bytes.subarray(0, n), { file: 'q.xmodel' }), /^E_XMODEL_/, 'q.xmodel');
    codes.add(e.code);
  }
  assert.ok(codes.has('E_XMODEL_TRUNCATED'));
});

test('a length field larger than the file is refused before allocating', () => {
  // field 5 (op_node), wire type 2, length 2^32 - 1
  const b = Uint8Array.from([0x2a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]);
  const e = expectXmodelError(() => Graph.deserialize(b, { file: 'big.xmodel' }), 'E_XMODEL_TRUNCATED', 'big.xmodel');
  assert.match(e.message, /declares 4294967295 bytes but only 3 remain/);
});

test('semantic damage: unknown input op, duplicate names, empty AttrValue, const size mismatch', () => {
  const mk = (): Graph => {
    const g = new Graph('g');
    const x = g.createOp({ name: 'x', type: 'data', attrs: { shape: [1, 2] }, tensor: { dims: [1, 2], dataType: 'FLOAT', bitWidth: 32 } });
    g.createOp({ name: 'y', type: 'relu', inputs: { input: [x] }, tensor: { dims: [1, 2], dataType: 'FLOAT', bitWidth: 32 } });
    return g;
  };
  const good = mk().serialize();
  // rename the input reference 'x' inside y's args to 'q' (same length → still well-formed protobuf)
  const s = Buffer.from(good);
  const at = s.indexOf(Buffer.from([0x12, 0x01, 0x78])); // OpArg.arg_ops (field 2) = "x"
  assert.ok(at > 0);
  const renamed = Uint8Array.from(s);
  renamed[at + 2] = 0x71;
  expectXmodelError(() => Graph.deserialize(renamed, { file: 'u.xmodel' }), 'E_XMODEL_OP_INPUT', 'u.xmodel');
  const dup = Uint8Array.from(s);
  const yName = s.indexOf(Buffer.from([0x0a, 0x01, 0x79])); // OPNode.op_name = "y"
  dup[yName + 2] = 0x78;
  expectXmodelError(() => Graph.deserialize(dup, { file: 'd.xmodel' }), 'E_XMODEL_OP_DUP', 'd.xmodel');
  assert.throws(() => mk().createOp({ name: 'x', type: 'relu', tensor: { dims: [1], dataType: 'FLOAT', bitWidth: 32 } }), XmodelError);

  // an AttrValue with no value: graph_attr {k: AttrValue{}} appended (field 11)
  const emptyAttr = Uint8Array.from([...good, 0x5a, 0x05, 0x0a, 0x01, 0x6b, 0x12, 0x00]);
  expectXmodelError(() => Graph.deserialize(emptyAttr, { file: 'a.xmodel' }), 'E_XMODEL_ATTR_EMPTY', 'a.xmodel');

  // const whose data does not match its tensor
  const g = irToXmodel(quantNet());
  g.getOp('w')!.setAttr('data', A.bytes(new Uint8Array(7)));
  expectXmodelError(() => xmodelToIr(Graph.deserialize(g.serialize()), { file: 'c.xmodel' }), 'E_XMODEL_CONST_SIZE', 'c.xmodel');
});

test('writer refuses a quantized const that is not q · 2^-fixPoint', () => {
  const ir = quantNet();
  ir.ops.find((o) => o.name === 'w')!.data![0] = 0.3;
  expectXmodelError(() => irToXmodel(ir), 'E_XMODEL_CONST_NOT_QUANTIZED');
});

test('file helper and CLI: missing / damaged file → one line, exit 1', () => {
  expectXmodelError(() => readXmodelFile('/nonexistent/m.xmodel'), 'E_XMODEL_FILE', '/nonexistent/m.xmodel');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpuflow-xir-'));
  const f = path.join(dir, 'cut.xmodel');
  const bytes = irToXmodel(quantNet()).serialize();
  fs.writeFileSync(f, bytes.subarray(0, bytes.length >> 1));
  const r = spawnSync(process.execPath, ['bin/dpuflow.js', 'inspect', f], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`^dpuflow: XmodelError: ${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*truncated`));
  fs.rmSync(dir, { recursive: true, force: true });
});
