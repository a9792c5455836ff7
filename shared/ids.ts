import { z } from 'zod';

/** Ids name directories in the data dir, so keep them filesystem-safe on every OS. */
export const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const idSchema = z.string().regex(ID_PATTERN, 'must be 1-64 characters: lowercase letters, digits, "-" or "_"');

/** The SDK refuses any other shape (lib `WSClient.start`), so we reject it up front with a clear message. */
export const APP_ID_PATTERN = /^cli_[0-9a-fA-F]{16}$/;
export const APP_ID_RULE = 'must look like cli_ followed by 16 hex characters';
export const appIdSchema = z.string().regex(APP_ID_PATTERN, APP_ID_RULE);
