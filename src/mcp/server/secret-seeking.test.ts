import { describe, expect, it } from 'vitest';
import { secretScanWords, secretSought, seeksSecret } from './secret-seeking.js';

const field = (name: string, extra: Record<string, unknown> = {}) => ({ type: 'object', properties: { [name]: { type: 'string', ...extra } } });

describe('secret-seeking elicitation forms', () => {
  const asking: Array<[string, string, unknown]> = [
    ['a plural', 'Enter your passwords', undefined],
    ['camelCase property name', 'Sign in', field('userPassword')],
    ['snake_case property name', 'Connect', field('access_token')],
    ['kebab-case words', 'Pay now', field('card', { description: 'Your credit-card' })],
    ['run-together property name', 'Connect', field('clientsecret')],
    ['APIKey acronym', 'Configure', field('openAIAPIKey')],
    ['credentials', 'Please provide your credentials', undefined],
    ['secrets', 'Paste the secrets here', undefined],
    ['passwd', 'Account', field('passwd')],
    ['PIN', 'Enter your PIN', undefined],
    ['OTP', 'Type the OTP we sent you', undefined],
    ['one-time code', 'Enter the one-time code', undefined],
    ['verification code', 'Verification', field('code', { title: 'Verification code' })],
    ['seed phrase', 'Restore your wallet with its seed phrase', undefined],
    ['recovery phrase', 'Your 12-word recovery phrase', undefined],
    ['mnemonic', 'Wallet', field('mnemonic')],
    ['IBAN', 'Refund', field('IBAN')],
    ['account and routing number', 'Direct deposit', field('routingNumber')],
    ['SSN', 'Identity check', field('ssn')],
    ['social security', 'Your Social Security number', undefined],
    ['CVV', 'Card check', field('cvv2')],
    ['card number', 'Payment', field('number', { description: 'Card number' })],
    ['private key', 'Paste your private key', undefined],
    ['api key in a schema title', 'Setup', { type: 'object', title: 'API key', properties: { value: { type: 'string' } } }],
    ['zero-width space inside a word', 'Enter your pass\u200bword', undefined],
    ['soft hyphen inside a word', 'Enter your pass\u00adword', undefined],
    ['fullwidth letters', 'Enter your ｐａｓｓｗｏｒｄ', undefined],
    ['a Cyrillic lookalike letter', 'Enter your p\u0430ssword', undefined],
    ['an accent', 'Enter your pásswörd', undefined],
    ['another language', 'Bitte Passwort eingeben', undefined],
    ['format: password, whatever the name', 'Continue', field('value', { format: 'password' })],
    ['writeOnly, whatever the name', 'Continue', field('value', { writeOnly: true })],
  ];
  it.each(asking)('flags %s', (_label, message, schema) => {
    expect(secretSought(message, schema)).not.toBeNull();
  });

  const ordinary: Array<[string, string, unknown]> = [
    ['name, age and email', 'Tell us about yourself', { type: 'object', properties: { name: { type: 'string', description: 'Your name' }, age: { type: 'integer' }, email: { type: 'string', format: 'email' } } }],
    ['a postal address', 'Where should we ship it?', { type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' }, postalCode: { type: 'string' }, country: { type: 'string' } } }],
    ['a status choice', 'Choose a status', { type: 'object', properties: { status: { type: 'string', description: 'Account status', enum: ['active', 'inactive', 'pending'] } } }],
    ['a confirmation', 'Confirm the booking', { type: 'object', properties: { confirm: { type: 'boolean', title: 'Confirm the booking for 2 people' } } }],
    ['a payment method as an option value', 'How will you pay?', { type: 'object', properties: { method: { type: 'string', enum: ['credit card', 'invoice'] } } }],
    ['a username', "User's response", { type: 'object', properties: { username: { type: 'string', description: "User's response" }, email: { type: 'string', description: "User's email address" } } }],
    ['words that contain a stem', 'Message the secretary about the keyboard and the spinning pinwheel', undefined],
    ['map pins', 'Which pins should stay on the map?', undefined],
    ['a random seed', 'Seed for the generator', field('seed', { type: 'integer' })],
    ['a verified account flag', 'Please review and update the form fields', field('verified', { type: 'boolean', description: 'Verified account' })],
    ['Cyrillic text', 'Введите ваше имя', undefined],
  ];
  it.each(ordinary)('lets %s through', (_label, message, schema) => {
    expect(secretSought(message, schema)).toBeNull();
  });

  it('ignores a message or schema that is not there or not text', () => {
    expect(seeksSecret(undefined, undefined)).toBe(false);
    expect(seeksSecret(42, { properties: null })).toBe(false);
    expect(seeksSecret('hello', [field('password')])).toBe(false);
  });

  it('reads words the way a person sees them', () => {
    expect(secretScanWords('userPassword, access_token; credit-card APIKey pass\u200bword')).toBe('user password access token credit card api key password');
  });
});
