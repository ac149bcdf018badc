import {
  ForbiddenException,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { principalOf } from './jwt-auth.guard.js';
import { PUBLISH_SCOPE } from './token-verifier.js';

/** Publishing needs the `notifications:publish` scope; runs after JwtAuthGuard. */
@Injectable()
export class PublishScopeGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const principal = principalOf(context.switchToHttp().getRequest());
    if (!principal.scopes.has(PUBLISH_SCOPE)) {
      throw new ForbiddenException({
        error: 'forbidden',
        message: `publishing needs a token with the scope ${PUBLISH_SCOPE}`,
      });
    }
    return true;
  }
}
