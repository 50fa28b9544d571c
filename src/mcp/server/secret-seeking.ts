/**
 * Whether an elicitation form asks the user for a credential or other secret. An upstream
 * may ask the human for input through the agent's client; a password, a one-time code or a
 * card number typed into such a form goes to a server the user never chose to trust with
 * it, so the gateway refuses these forms (URL-mode elicitation, where the user sees the
 * site, is the way for an upstream to ask for them).
 *
 * Every piece of text the user or the client's form renderer shows is checked: the
 * message, the schema's property names, titles and descriptions. Text is normalized
 * first (NFKC, hidden characters removed, accents dropped, lookalike letters folded inside
 * mixed-script words), then split into words at spaces, punctuation and case changes, so
 * `userPassword`, `access_token`, `credit-card` and `pass\u200bword` read as the words a
 * person sees. Option values and defaults are not checked: choosing "credit card" as a
 * payment method is not handing over its number. A property with `format: "password"` or
 * `writeOnly: true` is secret-seeking whatever it is called.
 */
import { foldLookalikes } from '../registry/lookalikes.js';
import { HIDDEN_CHAR } from '../registry/visible-text.js';

/**
 * Phrases matched as whole words over the normalized, lowercased word sequence; a plural
 * (`s`, `es`) is allowed on words longer than three letters (`pins` are map markers, a
 * `pin` is a PIN). Plain a-z, 0-9 and spaces, so they go into a RegExp as they are.
 */
const PHRASES = [
  'password', 'passwd', 'pwd', 'passphrase', 'passcode', 'pass word', 'pass phrase', 'pass code',
  'passwort', 'kennwort', 'contrasena', 'mot de passe', 'senha',
  'secret', 'credential', 'creds', 'token',
  'api key', 'private key', 'secret key', 'access key', 'signing key', 'encryption key', 'ssh key', 'privkey',
  'ssn', 'social security', 'social insurance number',
  'credit card', 'debit card', 'card number', 'card no', 'cc number', 'cvv', 'cvv2', 'cvc', 'cvc2', 'card verification', 'security code',
  'pin', 'otp', 'totp', 'one time code', 'one time pass', 'verification code', 'auth code', 'authentication code', '2fa code', 'mfa code', 'authenticator code',
  'seed phrase', 'recovery phrase', 'seed words', 'recovery code', 'backup code', 'mnemonic', 'wallet seed',
  'iban', 'account number', 'routing number', 'sort code',
  'security question', 'security answer', 'maiden name',
];
const PHRASE_RE = new RegExp(`(?:^| )(?:${PHRASES.map((p) => (p.length > 3 ? `${p}(?:e?s)?` : p)).join('|')})(?= |$)`);

/** Stems found inside one run-together word (`userpassword`, `apikey`, `clientsecret`). */
const COMPOUND_RE =
  /pass(?:word|wd|phrase|code)|credential|mnemonic|secret(?!ar|ion|e)|(?:api|access|auth|bearer|refresh|session|csrf)token|(?:api|secret|private|access|signing)key|(?:credit|debit)card|cardnumber|seedphrase|recoveryphrase|recoverycode|backupcode|(?:account|routing)number|socialsecurity|onetime(?:code|pass)|(?:otp|verification|security)code/;

/** The words a person reads in `text`, lowercased, one space between them. */
export function secretScanWords(text: string): string {
  // camelCase and APIKey: a word starts at a capital after a lowercase letter, or before a capital+lowercase (not `2FA`).
  return words(normalize(text).replace(/(\p{Ll})(\p{Lu})/gu, '$1 $2').replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, '$1 $2'));
}

/** NFKC, whitespace made plain spaces, hidden characters and accents removed. */
function normalize(text: string): string {
  return text.normalize('NFKC').replace(/\s+/g, ' ').replace(HIDDEN_CHAR, '').normalize('NFD').replace(/\p{M}/gu, '');
}

function words(text: string): string {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0)
    .map(foldLookalikes)
    .join(' ');
}


/** The secret-seeking word or field in an elicitation form, or `null` when it asks for none. */
export function secretSought(message: unknown, requestedSchema: unknown): string | null {
  const texts: string[] = [];
  if (typeof message === 'string') texts.push(message);
  const flagged = collectSchemaText(requestedSchema, texts);
  if (flagged !== null) return flagged;
  for (const t of texts) {
    const phrase = PHRASE_RE.exec(secretScanWords(t));
    if (phrase) return phrase[0].trim();
    // Identifiers as written, not split at capitals: `openAIAPIKey` holds `apikey`, though no word boundary says where.
    for (const w of words(normalize(t)).split(' ')) if (COMPOUND_RE.test(w)) return w;
  }
  return null;
}

/**
 * Adds the schema's titles, descriptions and property names (at any depth) to `texts`;
 * returns a field marked as secret by `format: "password"` or `writeOnly`, if any.
 */
function collectSchemaText(schema: unknown, texts: string[], depth = 0): string | null {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema) || depth > 8) return null;
  const s = schema as Record<string, unknown>;
  if (typeof s.title === 'string') texts.push(s.title);
  if (typeof s.description === 'string') texts.push(s.description);
  const props = s.properties;
  if (typeof props !== 'object' || props === null || Array.isArray(props)) return null;
  for (const [name, prop] of Object.entries(props as Record<string, unknown>)) {
    texts.push(name);
    if (typeof prop !== 'object' || prop === null) continue;
    const p = prop as Record<string, unknown>;
    if (p.format === 'password' || p.writeOnly === true) return `field ${name}`;
    const nested = collectSchemaText(p, texts, depth + 1);
    if (nested !== null) return nested;
  }
  return null;
}

/** Whether an elicitation form asks the user for a credential or other secret. */
export function seeksSecret(message: unknown, requestedSchema: unknown): boolean {
  return secretSought(message, requestedSchema) !== null;
}
