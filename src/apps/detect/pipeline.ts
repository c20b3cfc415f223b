/** Detection pipeline: letterbox → normalize → model → YOLOv5, CenterNet or SSD (handtrack) decode → class-aware NMS → image pixels. */
import { AppError } from '../../errors.js';
import { firstInput, outputAt, type ModelExecutor } from '../executor.js';
import { imageToTensor, letterbox, type RgbImage, type TensorOptions } from '../image/image.js';
import { StageTimer, type StageTiming } from '../timing.js';
import { decodeCenterNet, decodeYolo, type CenterNetOptions, type YoloOptions } from './decode.js';
import { nmsPerClass, type Detection } from './nms.js';
import { decodeSsd, HANDTRACK_IOU, HANDTRACK_LABELS, ssdOutputs, type SsdDecodeOptions } from './handtrack.js';

export interface DetectOptions extends YoloOptions, TensorOptions {
  /**
   * 'yolov5' (3 raw heads), 'centernet' (outputs heatmap, wh, offset) or 'handtrack' (TF OD API SSD: box
   * encodings [1,N,4] + class logits [1,N,1+classes]; anchors generated for the input size). Default 'yolov5'.
   */
  head?: 'yolov5' | 'centernet' | 'handtrack';
  centernet?: CenterNetOptions;
  /** SSD decode options for head 'handtrack' (score threshold 0.25, anchors, scale factors). */
  ssd?: Omit<SsdDecodeOptions, 'width' | 'height'>;
  /** Input size when the model has free dims (640×640). */
  width?: number;
  height?: number;
  iouThresh?: number;
  maxDet?: number;
  labels?: string[];
  a53Factor?: number;
}

export interface DetectResult {
  detections: Detection[];
  timings: StageTiming[];
}

export async function runDetect(img: RgbImage, model: ModelExecutor, o: DetectOptions = {}): Promise<DetectResult> {
  const timer = new StageTimer(o.a53Factor);
  const inp = firstInput(model);
  const W = inp.shape[2]! > 0 ? inp.shape[2]! : (o.width ?? 640);
  const H = inp.shape[1]! > 0 ? inp.shape[1]! : (o.height ?? 640);
  const lb = timer.time('pre-processing', 'pre', () => letterbox(img, W, H));
  const feed = timer.time('pre-processing', 'pre', () => imageToTensor(lb.image, o));
  const outs = await timer.model('model', model, { [inp.name]: feed });
  const dets = timer.time('post-processing', 'post', () => {
    let raw: Detection[];
    if (o.head === 'handtrack') {
      const [boxes, logits] = ssdOutputs(model.outputs.map((_, i) => outputAt(model, outs, i)), model.name);
      raw = decodeSsd(boxes, logits, { width: W, height: H, ...o.ssd });
    } else if ((o.head ?? 'yolov5') === 'yolov5') {
      const heads = model.outputs.map((_, i) => outputAt(model, outs, i));
      raw = decodeYolo(heads, o);
    } else {
      if (model.outputs.length < 2) throw new AppError('E_APP_CENTERNET', `model has ${model.outputs.length} output(s); CenterNet needs heatmap, wh (and offset)`, { where: model.name });
      raw = decodeCenterNet(outputAt(model, outs, 0), outputAt(model, outs, 1), model.outputs.length > 2 ? outputAt(model, outs, 2) : undefined, o.centernet);
    }
    const ssd = o.head === 'handtrack';
    const kept = nmsPerClass(raw, o.iouThresh ?? (ssd ? HANDTRACK_IOU : 0.45), o.maxDet ?? (ssd ? 100 : 300));
    const labels = o.labels ?? (ssd ? HANDTRACK_LABELS : undefined);
    // back to image pixels (SSD: boxes clipped to nothing are dropped, as the model's ClipToWindow does)
    const mapped = kept.map((d) => {
      const m = (v: number, pad: number, lim: number): number => Math.min(Math.max((v - pad) / lb.scale, 0), lim);
      const box: [number, number, number, number] = [m(d.box[0], lb.padX, img.width), m(d.box[1], lb.padY, img.height), m(d.box[2], lb.padX, img.width), m(d.box[3], lb.padY, img.height)];
      return { ...d, box, ...(labels ? { label: labels[d.classId] ?? String(d.classId) } : {}) };
    });
    return ssd ? mapped.filter((d) => d.box[2] > d.box[0] && d.box[3] > d.box[1]) : mapped;
  });
  return { detections: dets, timings: timer.rows() };
}
