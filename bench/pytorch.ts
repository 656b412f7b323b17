/**
 * PyTorch's side of `deno task bench`: `bench/reference.py` in a child
 * process, asked for one run of a stage per line on its stdin, answering
 * with one JSON line per run.
 *
 * @module
 */
import { existsSync } from "node:fs";
import type { BaselineAccuracy } from "./ours.ts";
import type { Run } from "./stages.ts";

/**
 * The Python that runs the reference: `flag` (`--python PATH`), else the
 * virtual environment with PyPI's PyTorch (`.jupyter/torch-venv/`, README
 * "Speed, against PyTorch") when it exists, else Debian's.
 */
export function pythonFor(flag: string | undefined): string {
  const venv = new URL("../.jupyter/torch-venv/bin/python", import.meta.url);
  return flag ?? (existsSync(venv) ? venv.pathname : "/usr/bin/python3");
}

export interface ReferenceInfo {
  readonly torch: string;
  readonly numpy: string;
  readonly threads: number;
  readonly unset: Record<string, string>;
  readonly blas: unknown;
}

export interface ReferenceRun extends Run {
  readonly details: BaselineAccuracy | null;
  readonly peak_rss_mb: number;
}

/** A line of bench/reference.py's answer. */
interface ReferenceAnswer extends Omit<ReferenceRun, "cpuSeconds"> {
  readonly cpu_seconds: number;
}

async function* lines(stream: ReadableStream<Uint8Array>) {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    for (let at = buffer.indexOf("\n"); at >= 0; at = buffer.indexOf("\n")) {
      yield buffer.slice(0, at);
      buffer = buffer.slice(at + 1);
    }
  }
}

export class PyTorch {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #lines: AsyncGenerator<string>;
  /** The latest run's answer, with the peak memory so far. */
  last: ReferenceRun | null = null;

  /**
   * Starts bench/reference.py with `python`, pinned to CPU `cpu` when given,
   * with the ten-digit split's files in `tenDigits`, computing on `threads`
   * threads (`torch.set_num_threads`).
   */
  constructor(
    { python, path, cpu, tenDigits, threads }: {
      readonly python: string;
      readonly path: string;
      readonly cpu: number | null;
      readonly tenDigits: string;
      readonly threads: number;
    },
  ) {
    const command = cpu === null ? python : "taskset";
    const pinning = cpu === null ? [] : ["-c", String(cpu), python];
    const n = String(threads);
    try {
      this.#child = new Deno.Command(command, {
        args: [...pinning, "bench/reference.py", path, tenDigits],
        // `threads` threads for PyTorch and every library that might start
        // more (the script also sets these before it imports numpy and torch).
        env: {
          BENCH_THREADS: n,
          OMP_NUM_THREADS: n,
          OPENBLAS_NUM_THREADS: n,
          MKL_NUM_THREADS: n,
        },
        stdin: "piped",
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
    } catch (e) {
      throw new Error(
        `Could not run ${python} (${(e as Error).message}): install ` +
          "Debian's python3-torch python3-numpy python3-pil " +
          "libopenblas0-pthread.",
      );
    }
    this.#writer = this.#child.stdin.getWriter();
    this.#lines = lines(this.#child.stdout);
  }

  async #answer<T>(): Promise<T> {
    const { value, done } = await this.#lines.next();
    if (done) {
      throw new Error(
        "bench/reference.py stopped: see its messages above; it needs " +
          "Debian's python3-torch, python3-numpy, python3-pil and " +
          "libopenblas0-pthread.",
      );
    }
    return JSON.parse(value);
  }

  info(): Promise<ReferenceInfo> {
    return this.#answer();
  }

  /** One run of `stage`; a training stage runs `epochs` epochs when given. */
  async run(
    stage: string,
    run: number,
    epochs?: number,
  ): Promise<ReferenceRun> {
    const request = JSON.stringify({ stage, run, epochs }) + "\n";
    await this.#writer.write(new TextEncoder().encode(request));
    const { cpu_seconds, ...answer } = await this.#answer<ReferenceAnswer>();
    this.last = { ...answer, cpuSeconds: cpu_seconds };
    return this.last;
  }

  async close(): Promise<void> {
    await this.#writer.close();
    await this.#child.status;
  }
}
