import { Module } from '@nestjs/common';
import { PublishRoute } from './publish.route.js';

@Module({ providers: [PublishRoute] })
export class PublishModule {}
