// Group commit for the request log: a BatchWriter of request log rows into Store.insertRequestLogs.
import { BatchWriter, type BatchWriterLogger, type BatchWriterOptions, type BatchWriterStats } from './batch-writer.ts';
import type { RequestLogRow, Store } from './store.ts';

/** @see BatchWriterLogger */
export type RequestLogWriterLogger = BatchWriterLogger;
/** @see BatchWriterOptions */
export type RequestLogWriterOptions = Omit<BatchWriterOptions, 'label'>;
/** @see BatchWriterStats */
export type RequestLogWriterStats = BatchWriterStats;

/** Writes request log rows off the request's hot path: `record()` only queues; batches are committed in the background. */
export class RequestLogWriter extends BatchWriter<RequestLogRow> {
  constructor(store: Pick<Store, 'insertRequestLogs'>, options: RequestLogWriterOptions = {}) {
    super((rows, insertOptions) => store.insertRequestLogs(rows, insertOptions), { ...options, label: 'request log' });
  }
}
