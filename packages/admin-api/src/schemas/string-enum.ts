import { type TUnsafe, Type } from '@sinclair/typebox';

/** A string enum as plain JSON Schema (`enum`), which reads better in OpenAPI than a union of literals. */
export function StringEnum<T extends string>(values: readonly T[], description?: string): TUnsafe<T> {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], ...(description ? { description } : {}) });
}

/** `T | null`. */
export function Nullable<T extends import('@sinclair/typebox').TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}
