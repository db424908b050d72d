// The Permissions screen's state. Every answer (what a subject may do, who may act on an entry, the
// effect of a draft, the policy tests) is the kernel's, from the control-panel's rbac.* methods; the
// page only holds the owner's draft and asks again when it changes.
import { create } from 'zustand';
import type { PermissionPreview, PolicyCheck, PolicyState, PolicyTest, RbacAction, SubjectRef, WhoCan } from '../../../../kernel/api/permissions';
import { useSession } from '../../stores/session';
import { isSudoCancelled, withSudo } from '../../stores/sudo';

export interface PermissionsState {
  loading: boolean;
  error?: unknown;
  state?: PolicyState;
  draft: string;
  draftTests: PolicyTest[];
  checking: boolean;
  check?: PolicyCheck;
  checkError?: unknown;
  subject?: SubjectRef;
  preview?: PermissionPreview;
  previewError?: unknown;
  whoCan?: WhoCan;
  whoCanError?: unknown;
  saving: boolean;
  saved: boolean;
  saveError?: unknown;
  load(): Promise<void>;
  setDraft(text: string): void;
  setTests(tests: PolicyTest[]): void;
  reset(): void;
  pick(subject: SubjectRef): Promise<void>;
  askWhoCan(key: string, action: RbacAction): Promise<void>;
  save(): Promise<void>;
}

const call = () => useSession.getState().call;
const CHECK_DELAY_MS = 300;

export const isDirty = (s: Pick<PermissionsState, 'state' | 'draft' | 'draftTests'>) =>
  !!s.state && (s.draft !== s.state.userManaged || JSON.stringify(s.draftTests) !== JSON.stringify(s.state.tests));

export const usePermissions = create<PermissionsState>()((set, get) => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let checkSeq = 0;

  /** Asks the kernel what the draft would do; the latest draft wins. */
  const recheck = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      const seq = ++checkSeq;
      const { draft, draftTests } = get();
      set({ checking: true, checkError: undefined });
      call()('control-panel', 'rbac.check', { user_managed: draft, tests: draftTests })
        .then((check) => { if (seq === checkSeq) set({ check, checking: false }); })
        .catch((checkError: unknown) => { if (seq === checkSeq) set({ checkError, checking: false }); });
      const subject = get().subject;
      if (subject) void get().pick(subject);
    }, CHECK_DELAY_MS);
  };

  return {
    loading: false,
    draft: '',
    draftTests: [],
    checking: false,
    saving: false,
    saved: false,

    async load() {
      set({ loading: true, error: undefined });
      try {
        const state = await call()('control-panel', 'rbac.state', {});
        set({ state, draft: state.userManaged, draftTests: state.tests, loading: false, check: undefined, saveError: undefined });
        recheck();
      } catch (error) {
        set({ error, loading: false });
      }
    },

    setDraft(draft) {
      set({ draft, saved: false, saveError: undefined });
      recheck();
    },

    setTests(draftTests) {
      set({ draftTests, saved: false, saveError: undefined });
      recheck();
    },

    reset() {
      const state = get().state;
      if (!state) return;
      set({ draft: state.userManaged, draftTests: state.tests, saveError: undefined });
      recheck();
    },

    async pick(subject) {
      set({ subject, previewError: undefined });
      try {
        const s = get();
        const preview = await call()('control-panel', 'rbac.preview', { subject, ...(isDirty(s) && { user_managed: s.draft }) });
        set({ preview });
      } catch (previewError) {
        set({ previewError, preview: undefined });
      }
    },

    async askWhoCan(key, action) {
      set({ whoCanError: undefined });
      try {
        const s = get();
        set({ whoCan: await call()('control-panel', 'rbac.who_can', { key, action, ...(isDirty(s) && { user_managed: s.draft }) }) });
      } catch (whoCanError) {
        set({ whoCanError, whoCan: undefined });
      }
    },

    async save() {
      const { state, draft, draftTests } = get();
      if (!state) return;
      set({ saving: true, saveError: undefined, saved: false });
      try {
        // Changing who may do what takes the sudo step: the password dialog, then the save with its token.
        await withSudo((sudo) => sudo('control-panel', 'rbac.save', { user_managed: draft, tests: draftTests, policy_revision: state.policyRevision, tests_revision: state.testsRevision }));
        set({ saving: false, saved: true });
        await get().load();
        set({ saved: true });
      } catch (saveError) {
        // Closing the password dialog is not an error: the draft stays as it was.
        set(isSudoCancelled(saveError) ? { saving: false } : { saveError, saving: false });
      }
    },
  };
});
