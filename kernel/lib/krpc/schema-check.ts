// Compile-time agreement between a method's JSON schema (validated by ajv at run time) and its params
// type in kernel/api: the same top-level members, the same required ones, and members of the same
// kind (string, number, boolean, null, array, object). A schema that disagrees fails the type check
// at the service's `krpcMethods<…>()` call, naming the method. Schemas are declared `as const`.

type Kind<T> =
  T extends string ? 'string'
    : T extends number ? 'number'
      : T extends boolean ? 'boolean'
        : T extends null ? 'null'
          : T extends readonly unknown[] ? 'array'
            : T extends object ? 'object'
              : 'unknown';

type SchemaKind<S> =
  S extends { const: infer C } ? Kind<C>
    : S extends { enum: readonly (infer E)[] } ? Kind<E>
      : S extends { type: 'string' } ? 'string'
        : S extends { type: 'integer' | 'number' } ? 'number'
          : S extends { type: 'boolean' } ? 'boolean'
            : S extends { type: 'null' } ? 'null'
              : S extends { type: 'array' } ? 'array'
                : S extends { type: 'object' } ? 'object'
                  : S extends { anyOf: readonly (infer A)[] } ? SchemaKind<A>
                    : 'unknown';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** Kinds agree when equal; a schema or type too loose to say (`unknown`) agrees with anything. */
type KindsAgree<S, T> = 'unknown' extends SchemaKind<S> ? true : 'unknown' extends Kind<T> ? true : Same<SchemaKind<S>, Kind<Exclude<T, undefined>>>;

type RequiredKeys<T> = { [K in keyof T]-?: Record<never, never> extends Pick<T, K> ? never : K }[keyof T];
type PropsOf<S> = S extends { properties: infer P } ? P : object;
type SchemaRequired<S> = S extends { required: readonly (infer R)[] } ? R : never;

type MemberProblems<S, P> = {
  [K in keyof PropsOf<S> | keyof P]:
  K extends keyof P
    ? K extends keyof PropsOf<S>
      ? KindsAgree<PropsOf<S>[K], P[K]> extends true
        ? Same<K extends SchemaRequired<S> ? true : false, K extends RequiredKeys<P> ? true : false> extends true ? never : `${K & string}: required in one, optional in the other`
        : `${K & string}: of another kind`
      : `${K & string}: in the params type, not in the schema`
    : `${K & string}: in the schema, not in the params type`;
}[keyof PropsOf<S> | keyof P];

/** never when schema `S` agrees with params type `P`, else the list of disagreements. */
export type SchemaProblems<S, P> = SchemaKind<S> extends 'object' ? MemberProblems<S, P> : 'the params schema must be an object schema';
