import { Module } from '@nestjs/common';
import { LongPollController } from './long-poll.controller.js';

@Module({ controllers: [LongPollController] })
export class LongPollModule {}
