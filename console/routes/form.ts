/** A form's fields as Hono parses them (`parseBody({ all: true })`): one value, or several under one name. */

/** The field's first value, if it is text. */
export function first(value: unknown): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === 'string' ? v : undefined;
}

/** Every non-empty text value of the field (the ids of the selected instances). */
export function all(value: unknown): string[] {
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter(
    (v): v is string => typeof v === 'string' && v !== '',
  );
}

/** A request no form of the console's own sends (an unknown action): refused as the request's fault (400), saying why. */
export class BadRequest extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadRequest';
  }
}
