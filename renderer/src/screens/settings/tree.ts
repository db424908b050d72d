// The KV tree's keys and how a value reads: pure helpers for the settings screen.

/** The key of `name` inside folder `parent` ("" is the root). */
export const childKey = (parent: string, name: string) => (parent ? `${parent}/${name}` : name);

/** The folder a key is in ("" for a top-level key). */
export const parentKey = (key: string) => {
  const at = key.lastIndexOf('/');
  return at < 0 ? '' : key.slice(0, at);
};

/** A value as people read it: JSON indented, anything else as it is. */
export function prettyValue(value: string): { text: string; json: boolean } {
  try {
    return { text: JSON.stringify(JSON.parse(value), null, 2), json: true };
  } catch {
    return { text: value, json: false };
  }
}

/** An edited value is sent as typed; JSON that was JSON must stay valid JSON. */
export function editProblem(original: string, edited: string): 'invalidJson' | 'unchanged' | undefined {
  if (edited === original) return 'unchanged';
  if (prettyValue(original).json) {
    try {
      JSON.parse(edited);
    } catch {
      return 'invalidJson';
    }
    if (JSON.stringify(JSON.parse(edited)) === JSON.stringify(JSON.parse(original))) return 'unchanged';
  }
  return undefined;
}
