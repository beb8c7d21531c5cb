// "Did you mean ...?" for misspelt names.

import { distance } from 'fastest-levenshtein';
import type { Span } from '../grammar/ast.ts';
import { replaceFix, type Fix } from './diagnostics.ts';

/** The closest candidate within a small edit distance, or undefined. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const limit = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  return bestDistance <= limit ? best : undefined;
}

export function didYouMean(word: string, candidates: Iterable<string>, fallback?: string): string | undefined {
  const c = closest(word, candidates);
  return c ? `did you mean '${c}'?` : fallback;
}

/**
 * "Did you mean ...?" for a misspelt word at `span`, with the fix that writes the suggestion in its
 * place; the fallback hint (and no fix) when nothing is close.
 */
export function suggestFix(word: string, span: Span, candidates: Iterable<string>, fallback?: string): { hint?: string; fix?: Fix } {
  const c = word ? closest(word, candidates) : undefined;
  if (!c) return { hint: fallback };
  return { hint: `did you mean '${c}'?`, fix: replaceFix(span, c, `replace '${word}' with '${c}'`) };
}
