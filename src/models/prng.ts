/**
 * Seeded pseudo-random numbers for the model builders: the same seed gives the same weights,
 * on every machine and in browsers (no Math.random, no platform RNG).
 */
/** mulberry32 on the raw seed: a function giving uniform values in [0, 1) (tests and fast finetune sampling). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    return mulberry32Out(a);
  };
}

/** mulberry32's output function of state `a`. */
function mulberry32Out(a: number): number {
  let t = a;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

export class Prng {
  private s: number;
  private spare: number | undefined;

  constructor(seed: number) {
    // Mix the seed so that nearby seeds give unrelated streams.
    this.s = (Math.imul(seed >>> 0 ^ 0x9e3779b9, 0x85ebca6b) ^ 0xc2b2ae35) >>> 0;
  }

  /** Uniform in [0, 1) (mulberry32). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    return mulberry32Out(this.s);
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal (Box–Muller, both values used). */
  normal(): number {
    if (this.spare !== undefined) {
      const v = this.spare;
      this.spare = undefined;
      return v;
    }
    let u = this.next();
    while (u <= 1e-12) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** n values from N(mean, std²). */
  normals(n: number, std: number, mean = 0): Float32Array {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = mean + std * this.normal();
    return a;
  }

  uniforms(n: number, lo: number, hi: number): Float32Array {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = this.uniform(lo, hi);
    return a;
  }
}
