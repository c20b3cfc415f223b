/**
 * Application pipelines (browser-safe): OCR (PP-OCR det → cls → rec), classification (top-k) and
 * detection (YOLOv5 / CenterNet + NMS) over any ModelExecutor. See docs/apps.md.
 *
 *   const models = await loadOcrModels();                  // shipped PP-OCR models, float IR executor
 *   const r = await pipelines.ocr(await readImage('shot.png'), models);
 *   for (const l of r.lines) console.log(l.text);
 */
import { runClassify } from './classify.js';
import { runDetect } from './detect/pipeline.js';
import { runOcr } from './ocr/pipeline.js';

export const pipelines = { ocr: runOcr, classify: runClassify, detect: runDetect } as const;

export { runOcr, detResizeSize, recTensor, DET_MEAN, DET_STD, type OcrModels, type OcrOptions, type OcrLine, type OcrResult } from './ocr/pipeline.js';
export { chooseRecWidth, recNaturalWidth, recWidthSet, type RecSlot } from './ocr/pipeline.js';
export { dbPostprocess, miniBox, boxScore, unclip, sortBoxes, type DbOptions, type TextBox } from './ocr/db.js';
export { ctcGreedyDecode, parseKeys, type CtcResult } from './ocr/ctc.js';
export { runClassify, softmax, topK, parseLabels, type ClassifyOptions, type ClassifyResult } from './classify.js';
export { runDetect, type DetectOptions, type DetectResult } from './detect/pipeline.js';
export { decodeYolo, decodeCenterNet, YOLOV5_ANCHORS, type YoloOptions, type CenterNetOptions } from './detect/decode.js';
export { nms, nmsPerClass, iou, type Detection } from './detect/nms.js';
export { floatOnnxExecutor, graphRunnerExecutor, type ModelExecutor, type ExecutorTiming, type GraphRunnerLike } from './executor.js';
export { StageTimer, formatTimings, HOST_TO_A53_FACTOR, type StageTiming } from './timing.js';
export { resizeBilinear, letterbox, cropQuad, rotate180, imageToTensor, type RgbImage, type Point } from './image/image.js';
