/** What the connection model's unit tests share: both parser flavours, and the format error a parse must raise. */
import type { ParserFlavour } from '../../model/connection/connection';
import { ConnectionFormatError } from '../../model/errors';

export const BOTH: readonly ParserFlavour[] = ['sdk', 'core'];

export function formatErrorOf(action: () => unknown): ConnectionFormatError {
  try {
    action();
  } catch (error) {
    if (error instanceof ConnectionFormatError) return error;
    throw error;
  }
  throw new Error('expected a ConnectionFormatError, nothing was thrown');
}
