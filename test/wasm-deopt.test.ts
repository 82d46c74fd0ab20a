import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

/**
 * A wasm module of one import and one export: `id(x: externref) → externref` calls the import `m.cb`,
 * then returns `x`. Hand-assembled so the case stands without a toolchain.
 */
const MODULE_BYTES = [
  [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // magic, version 1
  [0x01, 0x09, 0x02, 0x60, 0x00, 0x00, 0x60, 0x01, 0x6f, 0x01, 0x6f], // types: () → (), (externref) → externref
  [0x02, 0x08, 0x01, 0x01, 0x6d, 0x02, 0x63, 0x62, 0x00, 0x00], // import m.cb: type 0
  [0x03, 0x02, 0x01, 0x01], // function 1: type 1
  [0x07, 0x06, 0x01, 0x02, 0x69, 0x64, 0x00, 0x01], // export "id": function 1
  [0x0a, 0x08, 0x01, 0x06, 0x00, 0x10, 0x00, 0x20, 0x00, 0x0b], // body: call 0, local.get 0, end
].flat();

/**
 * `f` is optimized with the call into `id` inlined; on the last call the import deoptimizes `f` while
 * `id` runs, so V8 must rebuild `f`'s frame around an externref result. On Node 20.20 that aborts the
 * process (SIGTRAP) unless JS→wasm calls are not inlined.
 */
const SCRIPT = `
const instance = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array([${MODULE_BYTES.join(',')}])), {
  m: { cb: () => { if (deoptimize) %DeoptimizeFunction(f); } },
});
let deoptimize = false;
function f(o) { return instance.exports.id(o).v + 1; }
%PrepareFunctionForOptimization(f);
f({ v: 1 });
f({ v: 2 });
%OptimizeFunctionOnNextCall(f);
f({ v: 3 });
deoptimize = true;
console.log(f({ v: 4 }));
`;

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('cedar-wasm under Node 20', () => {
  it('survives optimized code that called into wasm being deoptimized during the call', () => {
    const run = spawnSync(
      process.execPath,
      ['--allow-natives-syntax', '--import', 'tsx', '--import', './test/support/cedar.ts', '-e', SCRIPT],
      { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 },
    );
    expect({ signal: run.signal, status: run.status, stdout: run.stdout.trim() }).toEqual({
      signal: null,
      status: 0,
      stdout: '5',
    });
  });
});
