import { Module } from '@nestjs/common';
import { WsGateway } from './ws.gateway.js';
import { WsStats } from './ws-stats.js';
import { WsUpgradeAdmission } from './ws-upgrade.admission.js';

@Module({
  providers: [WsGateway, WsUpgradeAdmission, WsStats],
  exports: [WsGateway, WsStats],
})
export class WsModule {}
