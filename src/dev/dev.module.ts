import { Module } from '@nestjs/common';
import { DemoController } from './demo.controller.js';
import { DevTokensController } from './dev-tokens.controller.js';

/** The dev profile's demo page and token minting; AppModule imports it only when devAuth. */
@Module({ controllers: [DemoController, DevTokensController] })
export class DevModule {}
