// Per-app access at login (upstream verify-hub resolve_user_app_scope): a person signing in to an
// installed app gets a session only if the app's availability policy lets them use it
// (kernel/lib/app-availability.ts). The clients a person manages the zone through (the CLI, the
// control panel) are not apps; an app id nobody installed is left to RBAC, as before.
import { USERS_DIR, appSpecKey } from '../api/keys.js';
import { appAvailabilityPolicyKey } from '../api/people.js';
import { USER_CLIENT_APPIDS } from '../api/rbac.js';
import type { AppServiceSpec } from '../api/zone.js';
import { evaluateAppAvailability } from '../lib/app-availability.js';
import { KrpcError } from '../lib/errors.js';
import { readUserSettings, type UserSettings } from './principals.js';
import type { VerifyHubKv } from './kv.js';

const parse = (text: string | undefined): unknown => {
  try {
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return null;
  }
};

/** Throws PERMISSION_DENIED when `user` may not use the installed app `appid`. */
export async function assertMayUseApp(kv: VerifyHubKv, user: string, settings: UserSettings, appid: string, appInstanceId?: string): Promise<void> {
  if (USER_CLIENT_APPIDS.includes(appid)) return;
  let owners: string[];
  const at = appInstanceId?.lastIndexOf('@') ?? -1;
  if (appInstanceId !== undefined && at > 0) {
    if (appInstanceId.slice(0, at) !== appid) throw new KrpcError('PERMISSION_DENIED', `app_instance_id "${appInstanceId}" is not an instance of ${appid}`);
    owners = [appInstanceId.slice(at + 1)];
  } else {
    owners = await kv.list(USERS_DIR);
  }
  let installed = false;
  for (const owner of owners) {
    const entry = await kv.get(appSpecKey(owner, appid));
    if (!entry) continue;
    installed = true;
    const spec = parse(entry.value) as Partial<AppServiceSpec> | null;
    const instanceId = `${appid}@${owner}`;
    const decision = evaluateAppAvailability({
      userId: user, user: settings, owner: (await readUserSettings(kv, owner)) ?? undefined,
      app: { appId: appid, appInstanceId: instanceId, ownerUserId: owner, state: typeof spec?.state === 'string' ? spec.state : undefined },
      policy: parse((await kv.get(appAvailabilityPolicyKey(instanceId)))?.value),
    });
    if (decision.allowed) return;
  }
  if (installed) throw new KrpcError('PERMISSION_DENIED', `${user} may not use the app "${appid}"; ask the owner of this home cloud for access`);
}

/** The same for a principal by name (login JWTs, refresh): users only. */
export async function assertUserMayUseApp(kv: VerifyHubKv, user: string, appid: string, appInstanceId?: string): Promise<void> {
  const settings = await readUserSettings(kv, user);
  if (!settings) throw new KrpcError('UNAUTHENTICATED', `${user} may no longer log in to this zone; ask the zone owner`);
  await assertMayUseApp(kv, user, settings, appid, appInstanceId);
}
