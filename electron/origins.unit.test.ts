// The window and the bridge serve only the zone's origins as the kernel reported them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentSecurityPolicy, isZoneUrl, mayOpenExternally, navigationVerdict, zoneOrigins } from './origins.js';

const addresses = { wizardUrl: 'http://127.0.0.1:3182/', panelUrl: 'http://127.0.0.1:3180/' };
const allowed = zoneOrigins(addresses);

test('the allow-list is exactly the wizard and panel origins', () => {
  assert.deepEqual(allowed, ['http://127.0.0.1:3182', 'http://127.0.0.1:3180']);
  assert.deepEqual(zoneOrigins(undefined), []);
  assert.deepEqual(zoneOrigins({ wizardUrl: 'file:///etc/passwd', panelUrl: 'http://10.0.0.5:3180/' }), ['http://10.0.0.5:3180']);
});

test('zone pages stay; other web pages go to the browser; other schemes go nowhere', () => {
  assert.equal(navigationVerdict('http://127.0.0.1:3180/#/apps', allowed), 'allow');
  assert.equal(navigationVerdict('http://127.0.0.1:3182/', allowed), 'allow');
  assert.equal(navigationVerdict('https://buckyos.ai/docs', allowed), 'open-externally');
  for (const url of ['http://127.0.0.1:3181/', 'http://localhost:3180/', 'https://127.0.0.1:3180/', 'http://127.0.0.1.evil.test:3180/', 'http://127.0.0.1:3180@evil.test/'])
    assert.equal(navigationVerdict(url, allowed), 'open-externally', url);
  for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'data:text/html,<b>x</b>', 'buckyos://join?x', 'smb://nas/share', 'not a url'])
    assert.equal(navigationVerdict(url, allowed), 'deny', url);
  assert.equal(isZoneUrl('http://127.0.0.1:3180/kapi/system_config', []), false);
});

test('openExternal takes http(s) only', () => {
  assert.equal(mayOpenExternally('https://example.com/'), true);
  assert.equal(mayOpenExternally('file:///C:/Windows/system32/calc.exe'), false);
  assert.equal(mayOpenExternally('ms-settings:'), false);
});

test('the CSP allows scripts from the page itself and connections to the zone only', () => {
  const csp = contentSecurityPolicy(allowed);
  assert.match(csp, /script-src 'self';/);
  assert.match(csp, /connect-src 'self' http:\/\/127\.0\.0\.1:3182 http:\/\/127\.0\.0\.1:3180;/);
  assert.doesNotMatch(csp, /unsafe-eval|\*/);
});
