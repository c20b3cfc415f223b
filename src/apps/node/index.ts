/** Node-only application helpers: image files, annotated PNGs, model files, onnxruntime executor. */
export { readImage, imageInputs, annotatePng, writeAnnotatedPng, type Annotation } from './image-io.js';
export { openModel, loadOcrModels, closeOcrModels, readKeys, type OpenModelOptions, type OcrModelFiles } from './models.js';
export { ortExecutor } from './ort-executor.js';
