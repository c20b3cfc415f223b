// Arch presets, fingerprints and target resolution, checked against the published values of dpu.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ARCH_PRESETS, BOARDS, decodeFingerprint, parseArchJson, resolveTarget, resolveBoard } from '../../src/dpu/arch/index.js';
import { ArchError } from '../../src/errors.js';
import { toCompilerArch } from '../../src/compiler/arch.js';

test('peak ops/cycle is the preset number for every arch (2·PP·ICP·OCP)', () => {
  assert.equal(ARCH_PRESETS.length, 8);
  for (const a of ARCH_PRESETS) assert.equal(`B${a.peakOpsPerCycle}`, a.preset);
});

test('bank geometry of B512 and B4096 matches the target prototxts quoted in dpu.md', () => {
  const b512 = resolveTarget('B512');
  assert.deepEqual(b512.fm, { banks: 4, width: 8, depth: 2048 });
  assert.deepEqual(b512.convWeights, { banks: 8, width: 8, depth: 2048 });
  assert.deepEqual([b512.dwWeights.banks, b512.dwWeights.width, b512.bias.width], [1, 8, 8]);
  assert.deepEqual([b512.alu.cp, b512.alu.pp, b512.eltwise.cp, b512.eltwise.pp, b512.channelAugmentation], [8, 2, 8, 2, 16]);
  const b4096 = resolveTarget('B4096');
  assert.deepEqual(b4096.fm, { banks: 8, width: 16, depth: 2048 });
  assert.deepEqual(b4096.convWeights, { banks: 16, width: 16, depth: 2048 });
  assert.deepEqual([b4096.alu.cp, b4096.alu.pp, b4096.loadParallel, b4096.channelAugmentation], [16, 4, 16, 32]);
});

test('published fingerprints decode to their archs', () => {
  assert.equal(resolveTarget('B4096').fingerprintHex, '0x0101000016010407');
  assert.equal(resolveTarget('B4096').dpuName, 'DPUCZDX8G_ISA1_B4096_0101000016010407');
  assert.equal(resolveTarget('kv260').dpuName, 'DPUCZDX8G_ISA1_B4096_0101000016010407');
  assert.equal(decodeFingerprint(0x101000016010407n).preset, 'B4096');
  assert.equal(decodeFingerprint(0x101000056010407n).version, '3.0');
  assert.equal(decodeFingerprint(0x101000016010406n).preset, 'B3136');
  // B512 feature code 0x56010200 (Vitis AI 3.0 prototxt)
  assert.equal(resolveTarget('B512', { version: '3.0' }).featureCode, 0x56010200n);
  assert.equal(decodeFingerprint(0x1000020f6014407n).isa, 0);
  assert.equal(decodeFingerprint(0x1000020f6014406n).preset, 'B3136');
});

test('arch.json and the other spellings resolve', () => {
  assert.equal(parseArchJson('{"fingerprint": "0x101000016010407"}').preset, 'B4096');
  assert.equal(parseArchJson('{"fingerprint": "0x101000056010406"}').preset, 'B3136');
  assert.equal(parseArchJson('{"target": "DPUCZDX8G_ISA1_B1024"}').preset, 'B1024');
  assert.equal(resolveTarget('0x101000016010200').preset, 'B512');
  assert.equal(resolveTarget('DPUCZDX8G_ISA1_B2304_0101000016010405').preset, 'B2304');
  assert.equal(resolveTarget('{"fingerprint":"0x101000016010404"}').preset, 'B1600');
  const { board, target } = resolveBoard('zcu102');
  assert.equal(board.cores, 3);
  assert.equal(target.board?.clockMHz, 281);
  assert.equal(BOARDS.length, 3);
});

test('unknown fingerprint: ArchError naming it and listing the known ones', () => {
  assert.throws(() => parseArchJson('{"fingerprint": "0x101000016010499"}', 'my/arch.json'), (e: unknown) => {
    assert.ok(e instanceof ArchError);
    assert.equal(e.file, 'my/arch.json');
    assert.match(e.message, /0x0101000016010499/);
    assert.match(e.message, /0x0101000016010407 \(B4096, 2\.5\)/);
    return true;
  });
  assert.throws(() => parseArchJson('{"fingerprint": 72339069391233031}'), /quote it/);
  assert.throws(() => parseArchJson('not json', 'a.json'), ArchError);
  assert.throws(() => resolveTarget('0x1000020F6014407'), /ISA0/);
  assert.throws(() => resolveTarget('B9999'), /unknown target/);
});

test('the compiler view takes our target as is', () => {
  const c = toCompilerArch(resolveTarget('B1152'));
  assert.equal(c.pp, 4);
  assert.equal(c.fm.width, 12);
  assert.equal(c.dpuName, 'DPUCZDX8G_ISA1_B1152_0101000016010203');
});
