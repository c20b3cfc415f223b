/**
 * CTC greedy decoding as PaddleOCR's CTCLabelDecode: per time step the arg-max class, merge repeats,
 * drop the blank (index 0); the character list is [blank] + the key file's lines + [' '] (use_space_char).
 * Score = mean of the kept steps' max probabilities (0 when nothing is kept).
 */
import type { TensorValue } from '../../ir/types.js';
import { AppError } from '../../errors.js';

/** Parses a PaddleOCR key file (one character per line, '\n' or '\r\n') → the decode alphabet. */
export function parseKeys(text: string, file?: string, useSpaceChar = true): string[] {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new AppError('E_APP_KEYS', 'the key file has no characters', { file, fix: 'give ppocr_keys_v1.txt (one character per line)' });
  return ['', ...lines, ...(useSpaceChar ? [' '] : [])];
}

export interface CtcResult {
  text: string;
  score: number;
}

/** Decodes `probs` [T, C] (or [1, T, C]) with `alphabet` (index 0 = blank). */
export function ctcGreedyDecode(probs: TensorValue, alphabet: string[]): CtcResult {
  const s = probs.shape;
  const C = s[s.length - 1]!;
  const T = s.length >= 2 ? s[s.length - 2]! : 1;
  if (C !== alphabet.length) {
    throw new AppError('E_APP_KEYS', `the recognizer has ${C} classes but the key file gives ${alphabet.length} (blank + ${alphabet.length - 2} keys + space)`, {
      fix: 'use the key file that belongs to the rec model (ppocr_keys_v1.txt for PP-OCRv4 Chinese/English)',
    });
  }
  let text = '';
  let sum = 0;
  let n = 0;
  let prev = -1;
  for (let t = 0; t < T; t++) {
    let best = 0;
    let bestP = -Infinity;
    const row = t * C;
    for (let c = 0; c < C; c++) {
      const p = probs.data[row + c]!;
      if (p > bestP) { bestP = p; best = c; }
    }
    if (best !== 0 && best !== prev) {
      text += alphabet[best]!;
      sum += bestP;
      n++;
    }
    prev = best;
  }
  return { text, score: n ? sum / n : 0 };
}
