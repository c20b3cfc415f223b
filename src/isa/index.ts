export * from './spec.js';
export * from './codec.js';
export { isaMarkdown } from './doc.js';
