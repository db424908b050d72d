import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHttpServer, registerKrpc } from './server.js';
import { KrpcClient } from './client.js';
import { KrpcError } from '../errors.js';
import { silentLogger } from '../log.js';
import { randomLoopback } from '../../testing/harness.js';

const host = randomLoopback();
const app = createHttpServer({ log: silentLogger, bodyLimit: 64 * 1024 });
let calls = 0;
registerKrpc(app, '/kapi/echo', {
  echo: {
    params: { type: 'object', properties: { text: { type: 'string', maxLength: 100 } }, required: ['text'], additionalProperties: false },
    handler: (p: { text: string }, ctx) => { calls++; return { text: p.text, token: ctx.token ?? null }; },
  },
  boom: { handler: () => { throw new Error('secret internal detail'); } },
  denied: { handler: () => { throw new KrpcError('PERMISSION_DENIED', 'not yours'); } },
}, { log: silentLogger });
await app.listen({ host, port: 0 });
const url = `http://${host}:${(app.server.address() as { port: number }).port}/kapi/echo`;
after(() => app.close());

const raw = async (body: string, contentType = 'application/json') => {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: r.status, body: await r.json() as { result?: unknown; error?: string; sys?: unknown[] } };
};

test('a call returns result and echoes seq, the token reaches the handler', async () => {
  const r = await raw(JSON.stringify({ method: 'echo', params: { text: 'hi' }, sys: [42, 'tok'] }));
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { result: { text: 'hi', token: 'tok' }, sys: [42] });
  const client = new KrpcClient(url, { token: 't2' });
  assert.deepEqual(await client.call('echo', { text: 'x' }), { text: 'x', token: 't2' });
});

test('bad input gets a structured error with HTTP 200 and never reaches the handler', async () => {
  const before = calls;
  const cases: Array<[string, RegExp]> = [
    ['{not json', /^INVALID_PARAMS: /],
    ['[1,2]', /^INVALID_PARAMS: /],
    [JSON.stringify({ method: 42, sys: [1] }), /^INVALID_PARAMS: .*method/],
    [JSON.stringify({ method: 'echo', params: { text: 5 }, sys: [1] }), /^INVALID_PARAMS: params\.text/],
    [JSON.stringify({ method: 'echo', params: { text: 'a', extra: 1 }, sys: [1] }), /^INVALID_PARAMS: /],
    [JSON.stringify({ method: 'nope', sys: [1] }), /^UNKNOWN_METHOD: /],
    [JSON.stringify({ method: '__proto__', sys: [1] }), /^UNKNOWN_METHOD: /],
    [JSON.stringify({ method: 'echo', params: {}, sys: 'x' }), /^INVALID_PARAMS: /],
  ];
  for (const [body, re] of cases) {
    const r = await raw(body);
    assert.equal(r.status, 200, body);
    assert.match(r.body.error ?? '', re, body);
  }
  assert.equal(calls, before);
});

test('an oversized body is refused with PAYLOAD_TOO_LARGE', async () => {
  const r = await raw(JSON.stringify({ method: 'echo', params: { text: 'x'.repeat(10 * 1024 * 1024) }, sys: [1] }));
  assert.equal(r.status, 413);
  assert.match(r.body.error ?? '', /^PAYLOAD_TOO_LARGE: /);
});

test('handler failures never leak internals; typed errors parse back into codes', async () => {
  const r = await raw(JSON.stringify({ method: 'boom', sys: [7] }));
  assert.equal(r.status, 200);
  assert.equal(r.body.error, 'INTERNAL: internal error; see the node log');
  assert.deepEqual(r.body.sys, [7]);
  await assert.rejects(new KrpcClient(url).call('denied'), (e: unknown) => e instanceof KrpcError && e.code === 'PERMISSION_DENIED' && e.message === 'not yours');
});

test('the client reports an unreachable service as UNAVAILABLE', async () => {
  await assert.rejects(new KrpcClient(`http://${host}:1/kapi/x`).call('m'), (e: unknown) => e instanceof KrpcError && e.code === 'UNAVAILABLE');
});
