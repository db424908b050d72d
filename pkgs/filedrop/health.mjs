// What GET /health answers: the node-daemon starts routing to this version only once it says ok.
export function health(version) {
  return { status: 200, body: { ok: true, app: 'filedrop', version } };
}
