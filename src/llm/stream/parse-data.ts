import { isObject } from '../../util/is-object.js';

/** An event's data as a JSON object, or undefined when it is not one (the taps still forward it). */
export function parseObjectData(data: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  return isObject(value) ? value : undefined;
}
