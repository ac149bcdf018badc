import {
  createParamDecorator,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import { connectionTransport } from '../connections/connection-route.js';
import { Metrics } from '../metrics/metrics.service.js';
import { extractToken } from './token-extractor.js';
import { InvalidTokenError, TokenVerifier, type Principal } from './token-verifier.js';

const PRINCIPAL = Symbol('principal');
type AuthedRequest = IncomingMessage & { [PRINCIPAL]?: Principal };

/** Resolves the caller from its token before any handler runs, so a refusal is a plain 401. */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly verifier: TokenVerifier,
    private readonly reflector: Reflector,
    private readonly metrics: Metrics,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    try {
      await authenticateRequest(this.verifier, req);
    } catch (err) {
      const transport = connectionTransport(this.reflector, context);
      if (transport && err instanceof UnauthorizedException)
        this.metrics.rejected('auth', transport);
      throw err;
    }
    return true;
  }
}

/** Shared with the WebSocket upgrade, which runs outside Nest's guards. */
export async function authenticate(
  verifier: TokenVerifier,
  req: IncomingMessage,
): Promise<Principal> {
  const token = extractToken(req);
  if (!token)
    throw new UnauthorizedException({ error: 'unauthorized', message: 'missing access token' });
  try {
    return await verifier.verify(token);
  } catch (err) {
    if (err instanceof InvalidTokenError) {
      throw new UnauthorizedException({ error: 'unauthorized', message: err.reason });
    }
    throw err;
  }
}

/** Authenticates `req` and keeps its principal for the handler and the access log. */
export async function authenticateRequest(
  verifier: TokenVerifier,
  req: IncomingMessage,
): Promise<Principal> {
  const principal = await authenticate(verifier, req);
  (req as AuthedRequest)[PRINCIPAL] = principal;
  return principal;
}

/**
 * Like `authenticateRequest` when the request's token was verified lately, without waiting;
 * `undefined` otherwise (then `authenticateRequest` gives the answer).
 */
export function cachedPrincipal(
  verifier: TokenVerifier,
  req: IncomingMessage,
): Principal | undefined {
  const token = extractToken(req);
  const principal = token === undefined ? undefined : verifier.cached(token);
  if (principal) (req as AuthedRequest)[PRINCIPAL] = principal;
  return principal;
}

export function principalOf(req: IncomingMessage): Principal {
  const p = (req as AuthedRequest)[PRINCIPAL];
  if (!p) throw new Error('principalOf() used on a route without JwtAuthGuard');
  return p;
}

/** The caller, when the request has been authenticated (logging uses it on any route). */
export function findPrincipal(req: IncomingMessage): Principal | undefined {
  return (req as AuthedRequest)[PRINCIPAL];
}

export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext) =>
  principalOf(ctx.switchToHttp().getRequest()),
);
