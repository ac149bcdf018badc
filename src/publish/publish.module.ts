import { Module } from '@nestjs/common';
import { PublishController } from './publish.controller.js';

@Module({ controllers: [PublishController] })
export class PublishModule {}
