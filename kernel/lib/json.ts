// The one "is this a JSON object?" test: not null, not an array. Everything read from KV or the wire
// goes through it before its members are looked at.
export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
