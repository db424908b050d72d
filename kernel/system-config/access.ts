// Who may do what, kept in step with KV: the trust keys and the RBAC enforcer are rebuilt whenever
// boot/config or anything under system/rbac/ changes, whoever wrote it and by whichever method
// (append included: upstream pitfall 4), and a lazily trusted issuer is forgotten when its document
// or settings change.
import { permissionDenied, unauthenticated } from '../lib/errors.js';
import { configResource, type KeyOptions } from '../lib/kv-keys.js';
import type { Logger } from '../lib/log.js';
import { createRbac, type Rbac } from '../lib/rbac/rbac.js';
import { describeFailure, parsePolicyTests, runPolicyTests, type PolicyInspector } from '../lib/rbac/inspect.js';
import { userManagedSection, withUserManaged } from '../lib/rbac/policy-lines.js';
import { KrpcError, invalidParams } from '../lib/errors.js';
import { RESERVED_PREFIX } from '../lib/kv-keys.js';
import type { KvStore } from './store/types.js';
import { BOOT_CONFIG_KEY, TrustKeys, type ZoneIdentity } from './trust.js';
import { RBAC_POLICY_KEY, RBAC_PREFIX, revokedSessionKey } from '../api/keys.js';
import { RBAC_TESTS_KEY } from '../api/permissions.js';
import type { Principal } from './principal.js';
import { planWrites, type RevisionCondition, type WriteRequest } from './tx.js';
import { DEVICE_REVOCATIONS_DIR } from '../api/devices.js';

export { RBAC_POLICY_KEY };

export type Action = 'read' | 'write';

const MIN_REFRESH_INTERVAL_MS = 1000;

/** Whether a write to `key` changes trust keys or the RBAC policy. */
export const touchesTrust = (key: string) => key === BOOT_CONFIG_KEY || key.startsWith(RBAC_PREFIX);

// devices/<d>/doc, users/<u>/doc, users/<u>/settings decide whether <d>/<u> is a trusted issuer.
const ISSUER_SOURCE = /^(?:devices\/([^/]+)\/doc|users\/([^/]+)\/(?:doc|settings))$/;
// nodes/<d>/config decides which app tokens device <d> may sign; users/<u>/settings whether <u> is active.
const APP_TOKEN_SOURCE = /^(?:nodes\/[^/]+\/config|users\/[^/]+\/settings|devices\/[^/]+\/doc)$/;

export class AccessControl {
  private rbac!: Rbac;
  private readonly trust: TrustKeys;
  private running: Promise<void> | undefined;
  private runningFrom = -1;
  private lastBuiltAtMs = 0;
  private queued: Promise<void> | undefined;
  private readonly unsubscribe: () => void;

  private constructor(
    private readonly store: KvStore,
    private readonly identity: ZoneIdentity,
    private readonly log: Logger,
  ) {
    this.trust = new TrustKeys(store, identity, (name) => this.rbac.groupsOf(name), log);
    this.unsubscribe = store.subscribe((changes) => {
      let reload = false;
      for (const c of changes) {
        if (touchesTrust(c.key)) reload = true;
        const m = ISSUER_SOURCE.exec(c.key);
        if (m) this.trust.forget(m[1] ?? m[2]);
        if (APP_TOKEN_SOURCE.test(c.key)) this.trust.forgetAppTokens();
        // A revoked device key or enrolment delegation: every device trusted so far is judged again.
        if (c.key.startsWith(`${DEVICE_REVOCATIONS_DIR}/`)) this.trust.reload();
      }
      if (reload) this.reload().catch((e) => log.error('reloading trust keys and RBAC failed', { err: (e as Error).message }));
    });
  }

  static async open(store: KvStore, identity: ZoneIdentity, log: Logger): Promise<AccessControl> {
    const access = new AccessControl(store, identity, log);
    try {
      await access.reload();
    } catch (e) {
      access.close();
      throw e;
    }
    return access;
  }

  close(): void {
    this.unsubscribe();
  }

  async authenticate(token: string | undefined): Promise<Principal> {
    const principal = await this.trust.verify(token);
    if (principal.issuer === 'verify-hub' && principal.session === undefined)
      throw unauthenticated('this session token names no session; log in again');
    if (this.sessionEnded(principal)) throw unauthenticated('this session has ended (logout, or a reused refresh token); log in again');
    return principal;
  }

  /**
   * Whether the principal's verify-hub session is on the revocation list. Read from the store on every
   * decision (a map lookup), so a logout takes effect at the next call, long-polls included.
   */
  private sessionEnded(principal: Principal): boolean {
    return principal.issuer === 'verify-hub' && principal.session !== undefined && this.store.get(revokedSessionKey(principal.session)) !== undefined;
  }

  async can(principal: Principal, key: string, action: Action, opts: KeyOptions = {}): Promise<boolean> {
    if (this.sessionEnded(principal)) return false;
    return this.rbac.enforce(principal, configResource(key, opts), action);
  }

  /** RBAC on any resource (e.g. `obj://repo/<pkg>`), for services in this process that share the zone's policy. */
  async enforce(principal: Principal, resource: string, action: string): Promise<boolean> {
    if (this.sessionEnded(principal)) return false;
    return this.rbac.enforce(principal, resource, action);
  }

  async require(principal: Principal, key: string, action: Action, opts: KeyOptions = {}): Promise<void> {
    if (!(await this.can(principal, key, action, opts)))
      throw permissionDenied(
        `${principal.userId} (app ${principal.appId}) has no ${action} permission on ${configResource(key, opts)}; docs/kv-keys.md lists who may read and write each key`,
      );
  }

  /**
   * Rebuilds trust keys and RBAC from the store. Resolves once a rebuild that started at or after
   * `fromRevision` (default: now) has finished, so a caller that just committed a policy change can
   * wait until that change is in force. Concurrent requests share runs.
   */
  reload(fromRevision = this.store.globalRevision()): Promise<void> {
    if (this.running && this.runningFrom >= fromRevision) return this.running;
    if (this.running) {
      const again = () => {
        this.queued = undefined;
        return this.reload(fromRevision);
      };
      this.queued ??= this.running.then(again, again);
      return this.queued;
    }
    this.runningFrom = this.store.globalRevision();
    this.running = this.rebuild().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** The Rbac of a policy text, with this OOD in the `ood` group as every rebuild has it. */
  private build(policy: string): Promise<Rbac> {
    // This OOD is an OOD before the scheduler has written any tail: first boot writes the tail
    // with this device's own token.
    return createRbac(policy, { implicit: `g, ${this.identity.device.name}, ood` });
  }

  /** The policy in force and the zone's key names, for the control panel's previews. */
  readonly inspector: PolicyInspector = {
    current: () => this.rbac,
    candidate: (userManaged) => this.build(withUserManaged(this.store.get(RBAC_POLICY_KEY)?.value, userManaged)),
    keys: () => this.store.keysWithPrefix('').filter((k) => !k.startsWith(`${RESERVED_PREFIX}/`) && k !== RESERVED_PREFIX),
  };

  /**
   * Policy tests (issue 10): a write that changes the owner's rules (below "# user-managed") or the
   * tests themselves is refused when any test fails under the result, naming the test. The derived
   * lines the scheduler rewrites are not checked (they follow people, devices and apps, and a refused
   * scheduler pass would stall the zone). Returns revision conditions that make the write fail with
   * VERSION_CONFLICT if the policy or the tests change between this check and the commit.
   */
  async checkPolicyWrite(req: WriteRequest, maxValueBytes: number): Promise<RevisionCondition[]> {
    if (!req.actions.has(RBAC_POLICY_KEY) && !req.actions.has(RBAC_TESTS_KEY)) return [];
    const after = new Map(planWrites(this.store, req, maxValueBytes).map((p) => [p.key, p.value]));
    const valueAfter = (key: string) => (after.has(key) ? after.get(key) ?? undefined : this.store.get(key)?.value);
    const policyBefore = this.store.get(RBAC_POLICY_KEY)?.value;
    const testsBefore = this.store.get(RBAC_TESTS_KEY)?.value;
    const policyAfter = valueAfter(RBAC_POLICY_KEY);
    const testsAfter = valueAfter(RBAC_TESTS_KEY);
    const conditions = [
      { key: RBAC_POLICY_KEY, revision: this.store.revisionOf(RBAC_POLICY_KEY) },
      { key: RBAC_TESTS_KEY, revision: this.store.revisionOf(RBAC_TESTS_KEY) },
    ];
    if (userManagedSection(policyBefore) === userManagedSection(policyAfter) && testsBefore === testsAfter) return [];
    let tests;
    try {
      tests = parsePolicyTests(testsAfter);
    } catch (e) {
      throw invalidParams(`${RBAC_TESTS_KEY} is not valid: ${(e as Error).message}`);
    }
    if (tests.length === 0) return conditions;
    const failed = runPolicyTests(await this.build(policyAfter ?? ''), tests).filter((r) => !r.passed);
    if (failed.length > 0)
      throw new KrpcError('FAILED_PRECONDITION', `${describeFailure(failed[0])}${failed.length > 1 ? ` (and ${failed.length - 1} more)` : ''}; change the rules or the test, then save again`);
    return conditions;
  }

  private async rebuild(): Promise<void> {
    const tail = this.store.get(RBAC_POLICY_KEY)?.value ?? '';
    let rbac: Rbac;
    try {
      rbac = await this.build(tail);
    } catch (e) {
      this.log.error('RBAC policy rebuild failed; keeping the previous policy', { err: (e as Error).message });
      if (this.rbac) return;
      throw e;
    }
    if (rbac.rejectedTailLines.length > 0)
      this.log.warn('ignoring malformed lines in system/rbac/policy', { lines: rbac.rejectedTailLines.slice(0, 20) });
    this.rbac = rbac;
    this.trust.reload();
    this.lastBuiltAtMs = Date.now();
    this.log.debug('trust keys and RBAC rebuilt', { revision: this.store.globalRevision() });
  }

  /**
   * sys_refresh_trust_keys: every change to a trust source already rebuilds (see the constructor), so
   * an explicit refresh only helps after a change made outside this process. Concurrent requests share
   * one rebuild and a new one starts at most once per second: a flood of calls cannot keep the
   * service rebuilding RBAC.
   */
  refreshRequested(): Promise<void> {
    if (this.running) return this.running;
    if (Date.now() - this.lastBuiltAtMs < MIN_REFRESH_INTERVAL_MS) return Promise.resolve();
    return this.reload();
  }
}
