/**
 * How `deno task bench` measures: CPU seconds (summed over the process's
 * threads, or the main thread's alone), wall-clock seconds, peak resident
 * memory, medians, and one line of progress at a time on stderr.
 *
 * @module
 */

/** A line of progress, on stderr (the table and JSON go to stdout). */
export const log = (message: string): void => console.error(message);

/** The median of `values` (the mean of the middle two for an even count). */
export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** `value` rounded to `digits` decimals. */
export const round = (value: number, digits: number): number =>
  Math.round(value * 10 ** digits) / 10 ** digits;

// Peak resident memory of this process, sampled between steps and by a timer.
let peak = 0;

/** Samples this process's resident memory, keeping the peak. */
export const sampleRss = (): void => {
  peak = Math.max(peak, Deno.memoryUsage().rss);
};

/** The peak resident memory sampled so far, in bytes. */
export const peakRss = (): number => peak;

/**
 * Seconds this process has run on a CPU, summed over its threads (Linux:
 * `/proc/self/task/<id>/schedstat`, nanoseconds). Unlike wall-clock time it
 * leaves out the time spent waiting for a CPU while other programs run.
 */
export function processCpuSeconds(): number {
  let nanoseconds = 0;
  for (const task of Deno.readDirSync("/proc/self/task")) {
    try {
      const text = Deno.readTextFileSync(
        `/proc/self/task/${task.name}/schedstat`,
      );
      nanoseconds += Number(text.split(" ")[0]);
    } catch {
      // The thread ended since the listing.
    }
  }
  return nanoseconds / 1e9;
}

/**
 * Seconds this process's main thread has run on a CPU (Linux), which is
 * where TensorFlow.js computes: unlike wall-clock time, it excludes the
 * time spent waiting for a CPU while other programs run.
 */
export function mainThreadCpuSeconds(): number {
  const fields = Deno.readTextFileSync("/proc/self/schedstat").split(" ");
  return Number(fields[0]) / 1e9;
}

/** `fn`'s wall-clock and CPU seconds, and its value; samples memory after. */
export async function timed<T>(
  fn: () => T | Promise<T>,
): Promise<[number, number, T]> {
  const cpuStart = processCpuSeconds();
  const start = performance.now();
  const value = await fn();
  const seconds = (performance.now() - start) / 1000;
  const cpuSeconds = processCpuSeconds() - cpuStart;
  sampleRss();
  return [seconds, cpuSeconds, value];
}

/** The load averages over 1, 5 and 15 minutes (Linux). */
export const loadAverage = (): string =>
  Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
