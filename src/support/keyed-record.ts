/**
 * @module A valibot record for maps keyed by names clients choose (channels): every key is kept, `__proto__`
 * included, in an object without a prototype, so no name can vanish or read an inherited member.
 */

import * as v from "valibot";

/** An object with no prototype, to fill with keys clients choose. */
export function emptyRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** Validates an object's values with `value` and returns them, under the same keys, in an object without a prototype. */
export function keyedRecord<S extends v.GenericSchema>(value: S) {
  return v.pipe(
    v.custom<Record<string, unknown>>((input) => typeof input === "object" && input !== null && !Array.isArray(input), "an object"),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const output = emptyRecord<v.InferOutput<S>>();
      for (const [key, item] of Object.entries(dataset.value)) {
        const result = v.safeParse(value, item);
        if (!result.success) {
          addIssue({ message: `${key}: ${result.issues[0].message}` });
          return NEVER;
        }
        output[key] = result.output;
      }
      return output;
    }),
  );
}
