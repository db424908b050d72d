// The password-login lockout against a real OOD child process, as a LAN client or a local process would
// attack it: a forged X-Forwarded-For sent straight to verify-hub neither locks out another address
// nor escapes the caller's own lockout; 60 concurrent guesses with the right password last are counted
// before they are checked, so the right one is refused; and a restart keeps the count. Each client
// connects from its own loopback address, which is what the gateway and verify-hub see.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { activatedOod, randomLoopback, spawnOod, TEST_PASSWORD, waitForPort } from '../testing/harness.js';
import { hashPassword, loginProof } from '../lib/identity/password.js';
import { DEFAULT_PORTS } from '../lib/ports.js';

let { ood, dir } = await activatedOod();
after(async () => {
  await ood.kill('SIGTERM');
  await dir.remove();
});
const host = ood.host;
const viaGateway = { port: DEFAULT_PORTS.gateway, path: '/kapi/verify_hub' };
// The OOD on a loopback address runs its internal services on that address too (lib/ports.ts).
const direct = { port: DEFAULT_PORTS.verifyHub, path: '/kapi/verify_hub' };

interface Outcome { ok: boolean; code?: string; message?: string }

let nonceSeq = 0;

/**
 * A password login for `user`, sent from local address `from` to `to`, with optional extra headers.
 * The request goes out but for its last body byte; `send()` delivers that byte, so many logins can
 * reach the server at the same moment.
 */
function prepareLogin(from: string, to: { port: number; path: string }, user: string, password: string, headers: Record<string, string> = {}) {
  const nonce = Date.now() + nonceSeq++;
  const body = JSON.stringify({
    method: 'login_by_password',
    params: { type: 'password', username: user, password: loginProof(hashPassword(password, user), nonce), appid: 'control-panel', login_nonce: nonce },
    sys: [1],
  });
  let req!: http.ClientRequest;
  const connected = new Promise<void>((resolve, reject) => {
    req = http.request({
      host, port: to.port, path: to.path, method: 'POST', localAddress: from, agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
    });
    req.once('socket', (s) => s.once('connect', () => resolve()));
    req.once('error', reject);
  });
  const outcome = new Promise<Outcome>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        try {
          const answer = JSON.parse(text) as { result?: unknown; error?: string };
          if (typeof answer.error !== 'string') return resolve({ ok: true });
          const [code, ...rest] = answer.error.split(': ');
          resolve({ ok: false, code, message: rest.join(': ') });
        } catch {
          reject(new Error(`not a kRPC answer (HTTP ${res.statusCode}): ${text.slice(0, 200)}`));
        }
      });
    });
    req.on('error', reject);
  });
  req.write(body.slice(0, -1));
  return { connected, outcome, send: () => { req.end(body.slice(-1)); return outcome; } };
}

function login(from: string, to: { port: number; path: string }, user: string, password: string, headers: Record<string, string> = {}): Promise<Outcome> {
  return prepareLogin(from, to, user, password, headers).send();
}

const wrong = (i: number) => `wrong-guess-${i}`;
const summary = (outcomes: Outcome[]) => JSON.stringify(outcomes.map((o) => (o.ok ? 'ok' : o.code)));

test('a local process calling verify-hub directly cannot lock out another address with a forged X-Forwarded-For', async () => {
  const victim = randomLoopback();
  const attacker = randomLoopback();
  for (let i = 0; i < 10; i++) {
    const guess = await login(attacker, direct, `nobody${i}`, wrong(i), { 'x-forwarded-for': victim });
    assert.ok(!guess.ok);
  }
  const own = await login(victim, viaGateway, 'alice', TEST_PASSWORD);
  assert.ok(own.ok, `the victim's own login through the gateway was refused: ${JSON.stringify(own)}`);
});

test('a local process calling verify-hub directly cannot escape its own lockout with a forged X-Forwarded-For', async () => {
  const attacker = randomLoopback();
  const spoof = () => randomLoopback().replace(/^127\./, '10.');
  for (let i = 0; i < 10; i++) {
    const guess = await login(attacker, direct, `nobody-else${i}`, wrong(i), { 'x-forwarded-for': spoof() });
    assert.ok(!guess.ok);
  }
  const right = await login(attacker, direct, 'alice', TEST_PASSWORD, { 'x-forwarded-for': spoof() });
  assert.equal(right.code, 'RATE_LIMITED', `the right password from a locked address was not refused: ${JSON.stringify(right)}`);
  // Nor through the gateway: it overwrites what the client says it forwarded for.
  const viaGw = await login(attacker, viaGateway, 'alice', TEST_PASSWORD, { 'x-forwarded-for': spoof() });
  assert.equal(viaGw.code, 'RATE_LIMITED', JSON.stringify(viaGw));
});

test('60 concurrent guesses with the right password last: counted before they are checked, so the right one is refused', async () => {
  const from = randomLoopback();
  const guesses = Array.from({ length: 59 }, (_, i) => prepareLogin(from, viaGateway, 'alice', wrong(i)));
  guesses.push(prepareLogin(from, viaGateway, 'alice', TEST_PASSWORD));
  await Promise.all(guesses.map((g) => g.connected));
  // Let every partial request through the gateway to verify-hub, then complete them all at once.
  await sleep(500);
  const outcomes = await Promise.all(guesses.map((g) => g.send()));
  assert.ok(!outcomes[59].ok, `the right password got in while the account was under attack: ${summary(outcomes)}`);
  assert.equal(outcomes[59].code, 'RATE_LIMITED', summary(outcomes));
  const evaluated = outcomes.filter((o) => o.code === 'UNAUTHENTICATED').length;
  assert.ok(evaluated < 20, `${evaluated} of 59 wrong guesses were evaluated: ${summary(outcomes)}`);
});

test('a restart keeps the count: the next wrong guess locks the user again, so the right password is refused', async () => {
  await ood.kill('SIGTERM');
  ood = spawnOod(dir.path, host);
  await waitForPort(host, DEFAULT_PORTS.gateway, 60_000);
  const from = randomLoopback();
  // While the short first lockout lasts a guess is refused uncounted; once it is over, the next wrong
  // guess is counted on top of the stored count, so it locks the user again (for longer). Were the count
  // lost, that guess would be the first failure and the right password would get in.
  for (let i = 0; ; i++) {
    const guess = await login(from, viaGateway, 'alice', wrong(100 + i));
    assert.ok(!guess.ok && (guess.code === 'UNAUTHENTICATED' || guess.code === 'RATE_LIMITED'), JSON.stringify(guess));
    if (guess.code === 'UNAUTHENTICATED') break;
    assert.ok(i < 600, 'the first lockout never ended');
    await sleep(100);
  }
  const right = await login(from, viaGateway, 'alice', TEST_PASSWORD);
  assert.equal(right.code, 'RATE_LIMITED', `after a restart the right password got in at once: ${JSON.stringify(right)}`);
});
