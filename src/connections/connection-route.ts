import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { Transport } from './connection-limiter.js';

/** Metadata key set by @CountsAsConnection; its own file so the auth guard can read it too. */
export const TRANSPORT = Symbol('transport');

/** The transport of a route marked with @CountsAsConnection, if it is one. */
export function connectionTransport(
  reflector: Reflector,
  context: ExecutionContext,
): Transport | undefined {
  return reflector.get<Transport | undefined>(TRANSPORT, context.getHandler());
}
