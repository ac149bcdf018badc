import { ForbiddenException } from '@nestjs/common';
import { PUBLISH_SCOPE, type Principal } from './token-verifier.js';

/** Publishing needs the `notifications:publish` scope; a subscriber's token is refused. */
export function requirePublishScope(principal: Principal): void {
  if (!principal.scopes.has(PUBLISH_SCOPE)) {
    throw new ForbiddenException({
      error: 'forbidden',
      message: `publishing needs a token with the scope ${PUBLISH_SCOPE}`,
    });
  }
}
