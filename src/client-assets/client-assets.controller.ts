import { Controller, Get, Req, Res } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CONTENT_TYPES, sendAsset } from './asset-file.js';

/** The browser client as one ESM file at a stable path, for pages that import it from here. */
@Controller('client')
export class ClientAssetsController {
  @Get('notify-client.js')
  bundle(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    return sendAsset(req, res, 'notify-client.js', CONTENT_TYPES.js);
  }

  @Get('notify-client.js.map')
  sourceMap(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    return sendAsset(req, res, 'notify-client.js.map', CONTENT_TYPES.map);
  }
}
