/** Code-point order: unlike localeCompare, the same on every machine, so output stays byte-identical. */
export const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
