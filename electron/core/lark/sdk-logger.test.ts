import { describe, expect, it } from 'vitest';
import { MemoryLogger } from '@e2e/support/memory-logger';
import { sdkLogger } from './sdk-logger';

describe('sdkLogger', () => {
  it('keeps the message, code and status of an axios error instead of dumping the whole object', () => {
    const logger = new MemoryLogger();
    const axiosLike = {
      message: 'connect ECONNREFUSED 127.0.0.1:9',
      code: 'ECONNREFUSED',
      config: { headers: { big: 'x'.repeat(5000) } },
      response: { status: 502 },
    };
    sdkLogger(logger).error('[ws]', axiosLike);
    expect(logger.records[0]).toMatchObject({
      level: 'error',
      event: 'sdk.log',
      message: '[ws] connect ECONNREFUSED 127.0.0.1:9 [ECONNREFUSED] (HTTP 502)',
    });
  });

  it('unwraps the nested arrays the SDK puts errors in', () => {
    const logger = new MemoryLogger();
    sdkLogger(logger).error([[{ message: 'connect ECONNREFUSED 127.0.0.1:40645', config: { data: '{"msg_type":"post"}' }, request: {} }]]);
    expect(logger.records[0]).toMatchObject({ message: 'connect ECONNREFUSED 127.0.0.1:40645' });
  });

  it('drops info and debug lines, which carry socket URLs with tickets', () => {
    const logger = new MemoryLogger();
    sdkLogger(logger).debug('[ws]', 'ws url: ws://host/ws/v2?ticket=abc');
    sdkLogger(logger).info('client ready');
    expect(logger.records).toEqual([]);
  });

  it('caps very long lines', () => {
    const logger = new MemoryLogger();
    sdkLogger(logger).warn('y'.repeat(2000));
    expect(String(logger.records[0]!.message).length).toBeLessThanOrEqual(501);
  });
});
