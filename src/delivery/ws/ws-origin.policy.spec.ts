import { describe, expect, it } from '@jest/globals';
import { WsOriginPolicy } from './ws-origin.policy.js';

describe('WsOriginPolicy', () => {
  const policy = new WsOriginPolicy(['https://app.example.com', 'http://localhost:5173']);

  it('lets non-browser clients (no Origin) through', () => {
    expect(policy.allows(undefined, 'gw.example.com')).toBe(true);
  });

  it('allows the same origin, whatever the scheme (TLS may end at the ingress)', () => {
    expect(policy.allows('https://gw.example.com', 'gw.example.com')).toBe(true);
    expect(policy.allows('http://127.0.0.1:3000', '127.0.0.1:3000')).toBe(true);
    expect(policy.allows('https://GW.example.com', 'gw.EXAMPLE.com')).toBe(true);
  });

  it('refuses another host or another port of the same host', () => {
    expect(policy.allows('https://evil.example', 'gw.example.com')).toBe(false);
    expect(policy.allows('http://127.0.0.1:4000', '127.0.0.1:3000')).toBe(false);
  });

  it('allows the configured origins, normalised', () => {
    expect(policy.allows('https://app.example.com', 'gw.example.com')).toBe(true);
    expect(policy.allows('https://APP.example.com:443', 'gw.example.com')).toBe(true);
    expect(policy.allows('http://localhost:5173', 'gw.example.com')).toBe(true);
    expect(policy.allows('http://app.example.com', 'gw.example.com')).toBe(false);
  });

  it('refuses opaque and malformed origins', () => {
    expect(policy.allows('null', 'gw.example.com')).toBe(false);
    expect(policy.allows('file://', 'gw.example.com')).toBe(false);
    expect(policy.allows('not a url', 'gw.example.com')).toBe(false);
    expect(policy.allows(`https://${'a'.repeat(3000)}.com`, 'gw.example.com')).toBe(false);
  });
});
