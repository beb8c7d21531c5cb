// Number literals are normalised only where the value cannot change: the writer's notation (plain or
// exponent) is kept, and only redundant characters go (`.5` -> `0.5`, `1.50` -> `1.5`, `1.` -> `1`,
// `007` -> `7`, `1E+03` -> `1e3`). Any rewrite that would not parse back to the very same double is
// dropped, so a literal is never changed in meaning (not even in its 17th digit).

const NUMBER = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?)(\d+))?$/;

export function normalizeNumber(raw: string): string {
  const m = NUMBER.exec(raw);
  if (!m) return raw;
  const [, sign, intPart, fraction = '', expSign = '', expDigits] = m;
  const int = intPart.replace(/^0+(?=\d)/, '') || '0';
  const frac = fraction.replace(/0+$/, '');
  let out = `${sign}${int}${frac ? `.${frac}` : ''}`;
  if (expDigits !== undefined) out += `e${expSign === '-' ? '-' : ''}${expDigits.replace(/^0+(?=\d)/, '')}`;
  return Object.is(Number(out), Number(raw)) ? out : raw;
}
