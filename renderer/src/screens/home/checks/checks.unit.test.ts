import { describe, expect, test } from 'vitest';
import type { ZoneOverview } from '../../../api/kernel-types';
import { overallStatus, runChecks } from './index';
import type { CheckContext } from './check';

const overview = (patch: Partial<ZoneOverview> = {}): ZoneOverview => ({
  zone: { name: 'home', domain: 'home', did: 'did:web:home', ownerDid: 'did:bns:alice', userName: 'alice', zoneIat: 1 },
  device: { name: 'ood1', did: 'did:web:ood1.home', type: 'ood', netId: 'nat' },
  nodes: [{ name: 'ood1', type: 'ood', status: 'ready', reason: { code: 'node:ready', detail: '' } }],
  apps: [],
  schedulerRev: 3,
  ...patch,
});
const ctx = (patch: Partial<CheckContext> = {}): CheckContext => ({ overview: overview(), silentServices: [], now: 1000, ...patch });
const byId = (c: CheckContext) => Object.fromEntries(runChecks(c).map((r) => [r.id, r.result]));

describe('home health checks', () => {
  test('a fresh zone is all good, and says there are no apps yet', () => {
    const r = runChecks(ctx());
    expect(overallStatus(r)).toBe('ok');
    expect(byId(ctx()).apps.what).toBe('home.checks.apps.none');
  });
  test('a silent service is a problem naming it, with a next step', () => {
    const r = byId(ctx({ silentServices: ['scheduler'] }));
    expect(r.services).toMatchObject({ status: 'bad', values: { services: 'scheduler' }, next: 'home.checks.services.next' });
    expect(overallStatus(runChecks(ctx({ silentServices: ['scheduler'] })))).toBe('bad');
  });
  test('a device that stopped reporting is named', () => {
    const nodes = [...overview().nodes, { name: 'nas1', type: 'node', status: 'gone' as const, reason: { code: 'node:gone', detail: '' } }];
    expect(byId(ctx({ overview: overview({ nodes }) })).nodes).toMatchObject({ status: 'warn', values: { devices: 'nas1' } });
  });
  test('a failed or unplaced app is a problem; running and stopped ones are fine', () => {
    const apps = [
      { id: 'notes', owner: 'alice', state: 'running', desired: 1, running: 1 },
      { id: 'photos', owner: 'alice', state: 'stopped', desired: 0, running: 0 },
      { id: 'wiki', owner: 'alice', state: 'running', desired: 1, running: 0, unplaced: { code: 'filter:no-node', detail: '' } },
      { id: 'chat', owner: 'alice', state: 'failed', desired: 1, running: 0 },
    ];
    expect(byId(ctx({ overview: overview({ apps }) })).apps).toMatchObject({ status: 'bad', values: { apps: 'wiki, chat', count: 2 } });
  });
  test('an unreadable overview is a warning, not a false "all good"', () => {
    const r = byId(ctx({ overview: undefined }));
    expect(r.nodes.status).toBe('warn');
    expect(r.apps.status).toBe('warn');
  });
  test('a sign-in ending within a day is a warning with the hours left', () => {
    expect(byId(ctx({ sessionEndsAt: 1000 + 5 * 3600 })).session).toMatchObject({ status: 'warn', values: { hours: 5 } });
    expect(byId(ctx({ sessionEndsAt: 1000 + 3 * 86400 })).session.status).toBe('ok');
  });
});
