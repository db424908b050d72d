// Reads of the keys one app's lifecycle touches, through a system-config client (the app-manager's own
// token for the pipeline, the caller's token for requests).
import type { SystemConfigClient } from '../system-config/client.js';
import { parseInstallRecord } from './records.js';
import type { InstanceReportView } from './rollout.js';
import { appSpecKey, installRecordKey, instancesPrefix } from './spec.js';
import type { InstallRecord } from './types.js';
import { userAppsDir } from '../api/keys.js';

export interface Versioned<T> {
  value: T;
  revision: number;
}

const parseObject = (text: string): Record<string, unknown> | undefined => {
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
};

export class AppKv {
  constructor(readonly kv: SystemConfigClient) {}

  /** The record at users/<user>/apps/<id>/install_record, if it is one and names that same user and id. */
  async record(user: string, id: string): Promise<Versioned<InstallRecord> | undefined> {
    const got = await this.kv.get(installRecordKey(user, id));
    const record = parseInstallRecord(got?.value);
    if (!got || !record || record.installation_id !== id || record.user_id !== user) return undefined;
    return { value: record, revision: got.version };
  }

  async spec(user: string, id: string): Promise<Versioned<Record<string, unknown>> | undefined> {
    const got = await this.kv.get(appSpecKey(user, id));
    const spec = got ? parseObject(got.value) : undefined;
    return got && spec ? { value: spec, revision: got.version } : undefined;
  }

  /** The instance reports of an app, by node. */
  async reports(user: string, id: string): Promise<Record<string, InstanceReportView>> {
    const prefix = instancesPrefix(user, id);
    const nodes = await this.kv.list(prefix);
    const out: Record<string, InstanceReportView> = {};
    await Promise.all(nodes.map(async (node) => {
      const got = await this.kv.get(`${prefix}/${node}`);
      const report = got ? parseObject(got.value) : undefined;
      if (report) out[node] = report;
    }));
    return out;
  }

  users(): Promise<string[]> {
    return this.kv.list('users');
  }

  appIds(user: string): Promise<string[]> {
    return this.kv.list(userAppsDir(user));
  }
}
