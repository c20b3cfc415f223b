// Registers every backend (device × mode). Imported for its side effects by runner.ts.
import './dpu-ref.js';
import './dpu-sim.js';
import './dpu-run.js';
import './cpu.js';
export { createDpuRefBackend, makeQuantizedBackend } from './dpu-ref.js';
export { createDpuSimBackend, placementOf, type DdrPlacement } from './dpu-sim.js';
export { createDpuRunBackend, RUN_MODE_AVAILABLE } from './dpu-run.js';
export { createCpuBackend } from './cpu.js';
