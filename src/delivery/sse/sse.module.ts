import { Module } from '@nestjs/common';
import { HeartbeatInterceptor } from './heartbeat.interceptor.js';
import { SseController } from './sse.controller.js';

@Module({ controllers: [SseController], providers: [HeartbeatInterceptor] })
export class SseModule {}
