// The kernel's owner kit (recovery words, owner key, signatures, password proofs), loaded over HTTP
// from the file the kernel builds beside this panel (kernel/api/owner-kit.ts). The page imports no
// kernel code: it knows the kit by its type only.
import type { OwnerKit } from '../../../kernel/api/owner-kit';

const OWNER_KIT_FILE = 'owner-kit.js';

let loaded: OwnerKit | undefined;
let loading: Promise<OwnerKit> | undefined;

/** Loads the kit once; the screens that need it (the wizard, sign-in) wait for this first. */
export function loadOwnerKit(): Promise<OwnerKit> {
  if (loaded) return Promise.resolve(loaded);
  loading ??= (import(/* @vite-ignore */ new URL(OWNER_KIT_FILE, document.baseURI).href) as Promise<{ ownerKit: OwnerKit }>)
    .then((m) => (loaded = m.ownerKit))
    .catch((e: unknown) => {
      loading = undefined;
      throw e;
    });
  return loading;
}

/** The kit, after loadOwnerKit() has resolved. */
export function ownerKit(): OwnerKit {
  if (!loaded) throw new Error('the owner kit is not loaded yet');
  return loaded;
}

/** Unit tests (Node, no server) hand the kit in directly. */
export function provideOwnerKit(kit: OwnerKit): void {
  loaded = kit;
}
