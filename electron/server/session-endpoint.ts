/**
 * `POST /api/session` `{ "code": C }` → `{ ok: true, result: { token } }`: a sign-in link's
 * one-time code traded for the session token, which the page then keeps in its session storage.
 *
 * The one API endpoint that needs no token (it is how a page gets one), so it leans on everything
 * else: the UI server's Host and Origin checks run first (a page elsewhere cannot read the answer,
 * nor rebind a name to reach it); the body must be JSON (a cross-site form cannot send that); the
 * code works once and expires (sign-in-codes.ts); and a refusal says nothing about why, so a
 * guess learns nothing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { envelope, readJsonObject, sendJson } from './http-io';
import type { SignInCodes } from './sign-in-codes';

const MAX_BODY_BYTES = 4096;
const bodySchema = z.object({ code: z.string().max(256) });

const REFUSED =
  'This sign-in link does not work: each link works once, for 10 minutes, with the Kocoro run that made it. ' +
  'Get a new one with `npm run headless -- --link` (add the same --data-dir, if any), or from a signed-in tab: Settings → Sign-in link.';
const TOO_MANY = 'Too many wrong sign-in codes: Kocoro refuses every sign-in for a minute. Wait, then open a new link.';

export interface SessionEndpoint {
  readonly codes: SignInCodes;
  readonly token: string;
  /** A refusal, for the server's throttled log: never the code. */
  refused(reason: 'code' | 'code_limit', status: 401 | 429): void;
  signedIn(): void;
}

export async function handleSessionRequest(req: IncomingMessage, res: ServerResponse, endpoint: SessionEndpoint): Promise<void> {
  const body = await readJsonObject(req, res, MAX_BODY_BYTES, '{ "code": ... }');
  if (body === null) return;
  const parsed = bodySchema.safeParse(body);
  if (!parsed.success) {
    sendJson(res, 400, envelope('The request body must be a JSON object { "code": "..." }.'));
    return;
  }
  const outcome = endpoint.codes.redeem(parsed.data.code);
  if (outcome === 'ok') {
    endpoint.signedIn();
    sendJson(res, 200, { ok: true, result: { token: endpoint.token } });
    return;
  }
  if (outcome === 'too_many') {
    endpoint.refused('code_limit', 429);
    sendJson(res, 429, { ok: false, error: { code: 'unauthorized', message: TOO_MANY } }, { 'Retry-After': '60' });
    return;
  }
  endpoint.refused('code', 401);
  sendJson(res, 401, { ok: false, error: { code: 'unauthorized', message: REFUSED } });
}
