/**
 * Control block of the float-kernel worker pool: Int32s at the start of the shared WebAssembly
 * memory (bytes [0, CTRL_BYTES) are never allocated by the kernels' Layout).
 * Slot of worker i (1…threads−1) at i·SLOT: [GEN, DONE, FN, NARGS, ERR, args…].
 */
export const SLOT = 32;
export const GEN = 0;
export const DONE = 1;
export const FN = 2;
export const NARGS = 3;
export const ERR = 4;
export const ARGS = 5;
export const MAX_ARGS = SLOT - ARGS;
/** Most threads the control block has slots for (CTRL_BYTES / 4 / SLOT). */
export const MAX_THREADS = 8;
/** GEN value that tells a worker to exit. */
export const QUIT = -1;
export const FN_NAMES = ['conv', 'dwconv'] as const;
