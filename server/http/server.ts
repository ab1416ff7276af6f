// Placeholder signature of startServer (filled in next commit).
import type { AppContext } from './context.ts';
export interface StartOptions {
  /** 0 = a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  dbPath: string;
  studiesDir?: string;
  dataDir?: string;
  /** Which studies to open (ids or file paths); default all valid in studiesDir. */
  studies?: string[];
}
export interface RunningServer { url: string; port: number; ctx: AppContext; close(): Promise<void> }
export declare function startServer(opts: StartOptions): Promise<RunningServer>;
