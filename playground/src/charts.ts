// Charts (uPlot, bundled: no network). Each returns the uPlot instance; the container gets data-chart="ready".
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const bars = uPlot.paths.bars!;
/** y from 0: bar heights must read as sizes. */
const fromZero: uPlot.Scale['range'] = (_u, _min, max) => [0, max > 0 ? max * 1.05 : 1];

function mount(el: HTMLElement, opts: uPlot.Options, data: uPlot.AlignedData): uPlot {
  el.replaceChildren();
  const u = new uPlot(opts, data, el);
  el.dataset.chart = 'ready';
  return u;
}

function width(el: HTMLElement): number {
  return Math.max(480, Math.min(1200, (el.parentElement?.clientWidth ?? 900) - 20));
}

/** Stacked bars per layer: compute (bottom) + DDR wait (top), in µs. Names show in the legend on hover. */
export function layerChart(el: HTMLElement, layers: Array<{ name: string; computeCycles: number; ddrWaitCycles: number }>, clockMHz: number): uPlot {
  const x = layers.map((_, i) => i);
  const compute = layers.map((l) => l.computeCycles / clockMHz);
  const total = layers.map((l) => (l.computeCycles + l.ddrWaitCycles) / clockMHz);
  const name = (i: number | null) => (i === null || i < 0 || i >= layers.length ? '' : `${i}: ${layers[i]!.name}`);
  // stacking: the total bar is drawn first (DDR-wait colour), the compute bar over it
  return mount(el, {
    width: width(el), height: 300, title: 'time per DPU layer (µs): compute vs DDR wait',
    scales: { x: { time: false, range: [-1, layers.length] }, y: { range: fromZero } },
    axes: [{ label: 'layer (hover for its name)', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500] }, { label: 'µs', size: 60 }],
    series: [
      { label: 'layer', value: (_u, v) => name(v) },
      { label: 'compute + DDR wait', fill: 'rgba(216,75,59,0.75)', stroke: '#d84b3b', paths: bars({ size: [0.8, 40] }), points: { show: false }, value: (_u, v) => (v === null ? '-' : `${v.toFixed(1)} µs`) },
      { label: 'compute', fill: 'rgba(59,125,216,0.9)', stroke: '#3b7dd8', paths: bars({ size: [0.8, 40] }), points: { show: false }, value: (_u, v) => (v === null ? '-' : `${v.toFixed(1)} µs`) },
    ],
    legend: { live: true },
  }, [x, total, compute]);
}

const COLORS: Record<string, string> = { zcu102: '#2a9d8f', zcu104: '#e9c46a', kv260: '#d84b3b' };

/** fps vs host threads, one line per board. */
export function threadsChart(el: HTMLElement, boards: Array<{ board: string; cores: number; points: Array<{ threads: number; fps: number }> }>): uPlot {
  const x = boards[0]?.points.map((p) => p.threads) ?? [];
  return mount(el, {
    width: width(el), height: 260, title: 'modeled fps vs threads (cycle model; one job per core, cores share the DDR)',
    scales: { x: { time: false }, y: { range: fromZero } },
    axes: [{ label: 'threads', incrs: [1] }, { label: 'fps', size: 60 }],
    series: [{ label: 'threads' }, ...boards.map((b) => ({
      label: `${b.board.toUpperCase()} (${b.cores} core${b.cores > 1 ? 's' : ''})`, stroke: COLORS[b.board] ?? '#555', width: 2,
      points: { show: true, size: 7 }, value: (_u: uPlot, v: number | null) => (v === null ? '-' : v.toFixed(1)),
    }))],
  }, [x, ...boards.map((b) => b.points.map((p) => p.fps))]);
}

/** SQNR (dB) per tensor in graph order; exact tensors (infinite SQNR) are left out. */
export function sqnrChart(el: HTMLElement, tensors: Array<{ tensor: string; sqnrDb: number | null }>): uPlot {
  const shown = tensors.filter((t) => t.sqnrDb !== null && Number.isFinite(t.sqnrDb));
  const name = (i: number | null) => (i === null || i < 0 || i >= shown.length ? '' : `${i}: ${shown[i]!.tensor}`);
  return mount(el, {
    width: width(el), height: 260, title: 'INT8 vs FP32 SQNR per tensor (dB, graph order; < 20 dB is poor)',
    scales: { x: { time: false, range: [-1, shown.length] }, y: { range: fromZero } },
    axes: [{ label: 'tensor (hover for its name)', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500] }, { label: 'dB', size: 50 }],
    series: [
      { label: 'tensor', value: (_u, v) => name(v) },
      { label: 'SQNR', fill: 'rgba(42,157,143,0.85)', stroke: '#2a9d8f', paths: bars({ size: [0.8, 30] }), points: { show: false }, value: (_u, v) => (v === null ? '-' : `${v.toFixed(2)} dB`) },
    ],
  }, [shown.map((_, i) => i), shown.map((t) => t.sqnrDb as number)]);
}
