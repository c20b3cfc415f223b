/** Node file helpers for .xmodel files (the xir stage itself stays fs-free). */
import fs from 'node:fs';
import { XmodelError } from '../../errors.js';
import { Graph } from '../../xir/graph.js';
import { writeFileAtomic } from '../../cli/output.js';
import './native-run.js'; // Node: 'run' runners use the native kernels when built (DPUFLOW_NATIVE=0: WASM)

/** Reads and decodes an .xmodel file: `Graph.deserialize(path)` of XIR. */
export function readXmodelFile(file: string): Graph {
  let bytes: Uint8Array;
  try {
    const st = fs.statSync(file);
    if (st.isDirectory()) throw new XmodelError('E_XMODEL_FILE', 'is a directory, not an .xmodel file', { file });
    bytes = fs.readFileSync(file);
  } catch (err) {
    if (err instanceof XmodelError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new XmodelError('E_XMODEL_FILE', code === 'ENOENT' ? 'no such file' : `cannot read: ${(err as Error).message}`, {
      file, fix: 'check the path', cause: err,
    });
  }
  return Graph.deserialize(bytes, { file });
}

/** Serializes a graph and writes it atomically. */
export function writeXmodelFile(file: string, g: Graph): void {
  writeFileAtomic(file, g.serialize());
}

/** `Graph.deserialize` that also accepts a path (Node only). */
export function deserializeGraph(source: string | Uint8Array): Graph {
  return typeof source === 'string' ? readXmodelFile(source) : Graph.deserialize(source);
}
