import { randomBytes } from 'node:crypto';
import { Global, Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { APP_CONFIG, TOKEN_SETTINGS } from '../app.tokens.js';
import { JwtAuthGuard } from './jwt-auth.guard.js';
import { TokenVerifier, type TokenSettings } from './token-verifier.js';

@Global()
@Module({
  providers: [
    {
      provide: TOKEN_SETTINGS,
      inject: [APP_CONFIG],
      // The dev profile signs with a secret that lives only as long as the process.
      useFactory: (c: AppConfig): TokenSettings => ({
        secret: c.devAuth ? randomBytes(32).toString('base64url') : c.JWT_SECRET,
        jwksUrl: c.JWT_JWKS_URL,
        issuer: c.JWT_ISSUER,
        audience: c.JWT_AUDIENCE,
      }),
    },
    {
      provide: TokenVerifier,
      inject: [TOKEN_SETTINGS],
      useFactory: (s: TokenSettings) => new TokenVerifier(s),
    },
    JwtAuthGuard,
  ],
  exports: [TOKEN_SETTINGS, TokenVerifier, JwtAuthGuard],
})
export class AuthModule {}
