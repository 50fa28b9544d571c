/**
 * Cyrillic and Greek letters that look like Latin ones. Folded only inside words that mix
 * them with Latin letters (`pаssword` or `Ignоre` with a Cyrillic о), never in real Cyrillic
 * or Greek text, so the scans read what a person sees without misreading other languages.
 */
const LOOKALIKES: Record<string, string> = {
  а: 'a', е: 'e', о: 'o', р: 'p', с: 'c', х: 'x', у: 'y', і: 'i', ѕ: 's', ј: 'j', к: 'k', т: 't', н: 'h', в: 'b', м: 'm', ԁ: 'd', ԛ: 'q', ԝ: 'w',
  α: 'a', ε: 'e', ο: 'o', ρ: 'p', τ: 't', υ: 'u', ν: 'v', κ: 'k', ι: 'i',
};
const LATIN = /[a-z]/i;
const NON_LATIN_LETTER = /[^\p{Script=Latin}\p{N}]/u;
const WORD = /[\p{L}\p{N}]+/gu;

/** One word with its lookalike letters folded to Latin (lower case) when it mixes scripts. */
export function foldLookalikes(word: string): string {
  if (!LATIN.test(word) || !NON_LATIN_LETTER.test(word)) return word;
  return Array.from(word, (ch) => LOOKALIKES[ch] ?? LOOKALIKES[ch.toLowerCase()] ?? ch).join('');
}

/** `text` with every mixed-script word folded (see foldLookalikes); the rest as it is. */
export function foldLookalikeWords(text: string): string {
  return text.replace(WORD, foldLookalikes);
}
