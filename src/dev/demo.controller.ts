import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CONTENT_TYPES, sendAsset } from '../client-assets/asset-file.js';

const DEMO_CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; object-src 'none'";

/** The demo page and its script: the dev profile's manual test bench (not in the API document). */
@ApiExcludeController()
@Controller()
export class DemoController {
  @Get()
  page(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    return sendAsset(req, res, 'demo.html', CONTENT_TYPES.html, {
      'Content-Security-Policy': DEMO_CSP,
    });
  }

  @Get('client/demo.js')
  script(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    return sendAsset(req, res, 'demo.js', CONTENT_TYPES.js);
  }

  @Get('client/demo.js.map')
  sourceMap(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    return sendAsset(req, res, 'demo.js.map', CONTENT_TYPES.map);
  }
}
