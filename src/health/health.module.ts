import { Global, Module, type OnApplicationShutdown } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller.js';
import { LoopDelayMonitor } from './loop-delay.monitor.js';
import { ReadinessChecks } from './readiness-checks.js';

/** Global so Kafka, Redis and drain can inject `ReadinessChecks` and register their checks. */
@Global()
@Module({
  // Terminus's own logger would log every failing probe; readiness changes are logged once instead.
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [
    ReadinessChecks,
    {
      provide: LoopDelayMonitor,
      useFactory: () => {
        const monitor = new LoopDelayMonitor();
        monitor.start();
        return monitor;
      },
    },
  ],
  exports: [ReadinessChecks],
})
export class HealthModule implements OnApplicationShutdown {
  constructor(private readonly loop: LoopDelayMonitor) {}

  onApplicationShutdown(): void {
    this.loop.stop();
  }
}
