import { Module } from '@nestjs/common';
import { WsGateway } from './ws.gateway.js';
import { WsUpgradeAdmission } from './ws-upgrade.admission.js';

@Module({
  providers: [WsGateway, WsUpgradeAdmission],
  exports: [WsGateway],
})
export class WsModule {}
