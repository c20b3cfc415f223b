/**
 * The few WebAssembly JS-API types the kernels use. The project compiles without the DOM lib
 * (and @types/node does not declare the global `WebAssembly`), so they are declared here.
 */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(deltaPages: number): number;
}
/** A compiled module (opaque; structured-cloneable to workers). */
export interface WasmModule {
  readonly __wasmModule?: never;
}
interface WasmApi {
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (m: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
}
export const WA: WasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
