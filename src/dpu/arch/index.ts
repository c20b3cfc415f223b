export * from './presets.js';
export * from './target.js';
