export { profileModel, modelThroughput, dpuPrograms } from './profile.js';
export type { ModelProfile, SubgraphProfile, ModelThroughput, DpuProgram } from './profile.js';
export { chromeTrace } from './trace.js';
