// The error metering raises for amounts, prices, rates and agreements it cannot turn into exact ledger entries.
import { CrosswayError } from '../wire/index.ts';

/**
 * Metering refuses inexact or malformed input rather than guess (code `invalid_amount`, `currency_mismatch`, ...).
 * Status 500: such input comes from the catalog or the store, never from a client request.
 */
export class MeteringError extends CrosswayError {
  override name = 'MeteringError';
  constructor(message: string, code = 'invalid_amount') {
    super(message, { code, status: 500, type: 'server_error' });
  }
}
