import { z } from 'zod';

/** Longest lifetime a new key may be given, in days (about ten years). */
export const MAX_KEY_TTL_DAYS = 3650;

/**
 * What a new key may be created with, shared by the admin API and the CLI so both accept
 * exactly the same input. `z.iso.datetime` checks the calendar (2030-02-31 is refused) and a
 * four-digit year, and the ttl cap keeps every expiry a time `Date` can show.
 */
export const CreateKeyOptions = z
  .strictObject({
    label: z.string().max(200).optional(),
    expiresAt: z.iso.datetime({ offset: true }).optional(),
    ttlDays: z.number().positive().max(MAX_KEY_TTL_DAYS).optional(),
  })
  .refine((b) => !(b.expiresAt && b.ttlDays), { message: 'give expiresAt or ttlDays, not both' });

export type CreateKeyOptions = z.infer<typeof CreateKeyOptions>;

/** The expiry (ms since the epoch) the validated options ask for; null for none. */
export function expiryFrom(opts: CreateKeyOptions, now: number): number | null {
  if (opts.expiresAt !== undefined) return Date.parse(opts.expiresAt);
  if (opts.ttlDays !== undefined) return now + opts.ttlDays * 86_400_000;
  return null;
}
