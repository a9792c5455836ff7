import type { InjectedResponse, RequestMatch } from './types.js';

interface Rule<T> {
  match: RequestMatch;
  remaining: number;
  action: T;
}

function matches(match: RequestMatch, method: string, path: string): boolean {
  if (match.method && match.method.toUpperCase() !== method.toUpperCase()) return false;
  return typeof match.path === 'string' ? match.path === path : match.path.test(path);
}

/** One-shot (or n-shot) rules consumed in registration order by the first matching request. */
class RuleQueue<T> {
  private rules: Rule<T>[] = [];

  add(match: RequestMatch, action: T, times: number): void {
    if (!Number.isInteger(times) || times < 1) throw new Error(`fake-lark: times must be a positive integer, got ${times}`);
    this.rules.push({ match, remaining: times, action });
  }

  take(method: string, path: string): T | undefined {
    const rule = this.rules.find((r) => matches(r.match, method, path));
    if (!rule) return undefined;
    rule.remaining -= 1;
    if (rule.remaining === 0) this.rules = this.rules.filter((r) => r !== rule);
    return rule.action;
  }
}

/** failNext / delayNext. Failures win over delays: an injected failure answers immediately. */
export class FaultInjector {
  private readonly failures = new RuleQueue<InjectedResponse>();
  private readonly delays = new RuleQueue<number>();

  failNext(match: RequestMatch, response: InjectedResponse, times = 1): void {
    this.failures.add(match, response, times);
  }

  delayNext(match: RequestMatch, ms: number, times = 1): void {
    this.delays.add(match, ms, times);
  }

  /** Consumes the matching rule, if any. */
  next(method: string, path: string): { fail: InjectedResponse } | { delayMs: number } | undefined {
    const fail = this.failures.take(method, path);
    if (fail) return { fail };
    const delayMs = this.delays.take(method, path);
    return delayMs === undefined ? undefined : { delayMs };
  }
}
