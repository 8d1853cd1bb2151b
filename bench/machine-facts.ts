/**
 * The machine a bench ran on, as both bench pages print it: timings on a shared machine are read
 * against its cores, memory, Node and load.
 */
import { cpus, loadavg, totalmem } from 'node:os';

export interface MachineFacts {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly loadAverageAtStart: readonly number[];
  readonly loadAverageAtEnd: readonly number[];
}

/** The machine now, with the load average taken when the run started. */
export function machineFacts(loadAverageAtStart: readonly number[]): MachineFacts {
  const cpuList = cpus();
  return {
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.versions.node,
    loadAverageAtStart,
    loadAverageAtEnd: loadavg(),
  };
}
