// Deliberately broken release (used by upgrade/rollback tests): the app starts but never reports healthy.
export function health(version) {
  return { status: 500, body: { ok: false, app: 'sitehost', version, error: 'site index could not be built' } };
}
