export * from './arch/index.js';
export * from './sim/index.js';
export * from './cycle/index.js';
export { analyzeProgram, type InstrWork, type ByteKind } from './work.js';
export { runTokens, MAX_INSTRUCTIONS } from './schedule.js';
