import type { TFunction } from 'i18next';
import { RpcError } from '@shared/contract';

/** The error a call rejected with, in words for the person (the core's own message as detail). */
export function errorText(t: TFunction, error: unknown): string {
  if (error instanceof RpcError) {
    switch (error.code) {
      case 'not_found':
        return t('errors.notFound');
      case 'read_only':
        return t('errors.readOnly');
      case 'unauthorized':
        return t('errors.unauthorized');
      case 'invalid_input':
        return error.message;
      default:
        return t('errors.generic', { message: error.message });
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  return t('errors.generic', { message });
}

/** The contract field an error points at (e.g. "appId", "provider.model"), if any. */
export function errorField(error: unknown): string | undefined {
  return error instanceof RpcError ? error.field : undefined;
}

export function isRpcError(error: unknown, code: RpcError['code']): error is RpcError {
  return error instanceof RpcError && error.code === code;
}
