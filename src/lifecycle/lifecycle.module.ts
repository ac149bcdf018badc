import { Global, Module } from '@nestjs/common';
import { DrainCoordinator } from './drain-coordinator.js';
import { DrainLifecycle } from './drain.lifecycle.js';

/** Graceful drain: other modules register their hooks on the DrainCoordinator. */
@Global()
@Module({
  providers: [
    { provide: DrainCoordinator, useFactory: () => new DrainCoordinator() },
    DrainLifecycle,
  ],
  exports: [DrainCoordinator],
})
export class LifecycleModule {}
