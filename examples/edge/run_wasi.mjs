// Run a WASI command module under node: node run_wasi.mjs module.wasm DIR args...
// DIR is visible to the module as /d (its files: /d/images.bin).
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';

const [wasmPath, dir, ...args] = process.argv.slice(2);
const wasi = new WASI({ version: 'preview1', args: [wasmPath, ...args], env: {}, preopens: { '/d': dir },
                        returnOnExit: true });
const module = await WebAssembly.compile(await readFile(wasmPath));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
