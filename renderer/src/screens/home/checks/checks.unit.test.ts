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

describe('disk space', () => {
  const GiB = 1024 ** 3;
  const withDisk = (total: number, used: number, name = 'ood1') => overview({ nodes: [{ name, type: 'ood', status: 'ready', reason: { code: 'node:ready', detail: '' }, disk: { total, used } }] });
  test('plenty free is fine and says how much', () => {
    expect(byId(ctx({ overview: withDisk(100 * GiB, 40 * GiB) })).disk).toMatchObject({ status: 'ok', values: { free: 60, device: 'ood1' } });
  });
  test('little free is a warning naming the device, with a next step; almost none is a problem', () => {
    expect(byId(ctx({ overview: withDisk(100 * GiB, 98.5 * GiB) })).disk).toMatchObject({ status: 'warn', values: { device: 'ood1', free: 1.5 }, next: 'homeChecks.disk.next' });
    expect(byId(ctx({ overview: withDisk(100 * GiB, 99.8 * GiB) })).disk.status).toBe('bad');
    expect(byId(ctx({ overview: withDisk(1000 * GiB, 970 * GiB) })).disk.status).toBe('warn');
  });
  test('a device that does not report its disk is not a false alarm', () => {
    expect(byId(ctx()).disk).toMatchObject({ status: 'ok', what: 'homeChecks.disk.unknown' });
  });
});

describe('a recent rollback', () => {
  const app = (at: number, automatic = true) => ({
    installation_id: 'notes', name: 'notes', version: '1.1.0', node: 'ood1', state: 'rolled-back' as const,
    last_rollback: { from: '1.2.0', to: '1.1.0', reason: 'health check failed', at, automatic, task_id: 't', data_restored: true },
  });
  test('an automatic rollback this week is news: which app, from and to, and what to do', () => {
    expect(byId(ctx({ now: 1000, installed: [app(999_000)] })).rollback).toMatchObject({
      status: 'warn', what: 'homeChecks.rollback.recentRestored', values: { app: 'notes', from: '1.2.0', to: '1.1.0' }, next: 'homeChecks.rollback.next',
    });
  });
  test('an old one, or the owner\'s own going back, is not', () => {
    expect(byId(ctx({ now: 30 * 86400, installed: [app(1000)] })).rollback.status).toBe('ok');
    expect(byId(ctx({ now: 1000, installed: [app(999_000, false)] })).rollback.status).toBe('ok');
  });
});
