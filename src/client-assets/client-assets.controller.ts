import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CONTENT_TYPES, sendAsset } from './asset-file.js';

/**
 * The browser client as one ESM file at a stable path, for pages that import it from here. Static
 * files, so not in the OpenAPI document.
 */
@ApiExcludeController()
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
