import { describe, expect, test } from 'vitest';
import type { BuckyosDesktopBridge, DesktopNotification, ZoneHealthReport } from '../../../electron/bridge';
import type { ZoneOverview } from '../api/kernel-types';
import type { CheckResult } from '../screens/home/checks/check';
import { deviceWaitingNotification, healthReport, reportToDesktop } from './desktop';

const t = (key: string, values?: Record<string, string | number>) => `${key}${values ? JSON.stringify(values) : ''}`;
const overview = (apps: ZoneOverview['apps']): ZoneOverview => ({
  zone: { name: 'home', domain: 'home', did: 'did:web:home', ownerDid: 'did:bns:alice', userName: 'alice', zoneIat: 1 },
  device: { name: 'ood1', did: 'did:web:ood1.home', type: 'ood', netId: 'nat' }, nodes: [], apps, schedulerRev: 1,
});

describe('the desktop bridge from the panel', () => {
  test('the tray gets the first bad check, else the first warning, in words', () => {
    const checks: { result: CheckResult }[] = [
      { result: { status: 'warn', what: 'home.checks.nodes.warn', values: { devices: 'nas1' } } },
      { result: { status: 'bad', what: 'home.checks.services.bad', values: { services: 'scheduler' } } },
    ];
    expect(healthReport(checks, t)).toEqual({ status: 'bad', cause: 'home.checks.services.bad{"services":"scheduler"}' });
    expect(healthReport([checks[0]], t).status).toBe('warn');
    expect(healthReport([{ result: { status: 'ok', what: 'x' } }], t)).toEqual({ status: 'ok' });
  });

  test('a rolled-back app is notified through the bridge; in a browser nothing happens', () => {
    const sent: DesktopNotification[] = [];
    const reports: ZoneHealthReport[] = [];
    const bridge: BuckyosDesktopBridge = {
      version: '0.1.0', platform: 'linux', openExternal: async () => true,
      notify: async (n) => { sent.push(n); return true; }, reportZoneHealth: (r) => { reports.push(r); },
    };
    const apps = [
      { id: 'notes', owner: 'alice', state: 'rolled-back', desired: 1, running: 1 },
      { id: 'wiki', owner: 'alice', state: 'running', desired: 1, running: 1 },
    ];
    reportToDesktop(overview(apps), [], t, bridge);
    expect(reports).toEqual([{ status: 'ok' }]);
    expect(sent).toEqual([{ kind: 'rollback', tag: 'rollback:alice/notes', title: 'desktop.rollbackTitle{"app":"notes"}', body: 'desktop.rollbackBody' }]);
    expect(() => reportToDesktop(overview(apps), [], t, undefined)).not.toThrow();
  });

  test('a device waiting for approval is tagged by its key', () => {
    expect(deviceWaitingNotification({ name: 'nas1', fingerprint: 'ABCD-EFGH-IJKL' }, t)).toMatchObject({ kind: 'device-waiting', tag: 'device:ABCD-EFGH-IJKL' });
  });
});
