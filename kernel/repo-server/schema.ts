// JSON schemas of the repo's kRPC params: types and bounds only (pkg ids, names and versions are parsed
// by kernel/pkg/id.ts, which says exactly what is wrong). Unknown extra fields are ignored, as BuckyOS
// clients may send them.

const pkgId = { type: 'string', minLength: 1, maxLength: 512 } as const;
const pkgName = { type: 'string', minLength: 1, maxLength: 64 } as const;

export const MAX_SOURCES = 16;
export const MAX_GC_PKGS = 10_000;

export const emptyParams = { type: 'object' } as const;

export const nameParams = { type: 'object', required: ['name'], properties: { name: pkgName } } as const;

export const idParams = { type: 'object', required: ['id'], properties: { id: pkgId } } as const;

export const resolveParams = {
  type: 'object',
  required: ['id'],
  properties: { id: pkgId, include_unready: { type: 'boolean' } },
} as const;

export const setSourcesParams = {
  type: 'object',
  required: ['sources'],
  properties: {
    sources: {
      type: 'array',
      maxItems: MAX_SOURCES,
      items: {
        type: 'object',
        required: ['type'],
        properties: {
          type: { enum: ['dir', 'repo'] },
          path: { type: 'string', minLength: 1, maxLength: 4096 },
          url: { type: 'string', minLength: 1, maxLength: 2048 },
          token: { type: 'string', maxLength: 16 * 1024 },
        },
      },
    },
  },
} as const;

export const gcParams = {
  type: 'object',
  required: ['keep'],
  properties: {
    keep: {
      type: 'object',
      maxProperties: MAX_GC_PKGS,
      propertyNames: { maxLength: 64 },
      additionalProperties: { type: 'array', maxItems: 64, items: { type: 'string', maxLength: 64 } },
    },
  },
} as const;
