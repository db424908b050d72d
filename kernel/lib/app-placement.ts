// Whether the scheduler placed an instance of an app for a user on a node (nodes/<node>/config, spec
// 20 §6). node-daemon signs an app's bootstrap token with the device key and `sub` = the app's owner
// (spec 60 §7), so this placement is the only thing that lets a device speak for a user: system-config
// and verify-hub accept such a token only when the signing node really runs that user's app.
import { isPlainObject } from './json.js';


/** `{installationId, userId}` of an app entry, read as node-daemon reads it (node-daemon/node-config.ts). */
function appOfEntry(instanceId: string, entry: unknown, node: string): { installationId: string; userId: string } | undefined {
  if (!isPlainObject(entry)) return undefined;
  const spec = isPlainObject(entry.app_spec) ? entry.app_spec : {};
  let fromKey: { installationId: string; userId: string } | undefined;
  const suffix = `@${node}`;
  if (instanceId.endsWith(suffix)) {
    const specId = instanceId.slice(0, -suffix.length);
    const at = specId.lastIndexOf('@');
    if (at > 0 && at < specId.length - 1) fromKey = { installationId: specId.slice(0, at), userId: specId.slice(at + 1) };
  }
  const installationId = typeof spec.installation_id === 'string' ? spec.installation_id : fromKey?.installationId;
  const userId = typeof spec.user_id === 'string' ? spec.user_id : fromKey?.userId;
  if (!installationId || !userId) return undefined;
  // node-daemon refuses an entry whose key and app_spec disagree, so it never runs (or signs for) one.
  if (fromKey && (fromKey.installationId !== installationId || fromKey.userId !== userId)) return undefined;
  return { installationId, userId };
}

export function placesApp(nodeConfigText: string | undefined, node: string, appId: string, userId: string): boolean {
  if (!nodeConfigText) return false;
  let config: unknown;
  try {
    config = JSON.parse(nodeConfigText);
  } catch {
    return false;
  }
  if (!isPlainObject(config) || !isPlainObject(config.apps)) return false;
  for (const [instanceId, entry] of Object.entries(config.apps)) {
    const app = appOfEntry(instanceId, entry, node);
    if (app && app.installationId === appId && app.userId === userId) return true;
  }
  return false;
}
