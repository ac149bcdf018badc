import { Module } from '@nestjs/common';
import { ClientAssetsController } from './client-assets.controller.js';

@Module({ controllers: [ClientAssetsController] })
export class ClientAssetsModule {}
