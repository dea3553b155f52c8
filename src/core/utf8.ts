import { isUtf8 } from 'node:buffer';

/** "FF FE" or "FE FF" when the bytes start with a UTF-16 byte order mark (Windows editors save one). */
export function utf16ByteOrderMark(bytes: Uint8Array): string | undefined {
  if (bytes.length < 2) return undefined;
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'FF FE';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'FE FF';
  return undefined;
}

/**
 * The offset of the first byte that is not part of a well-formed UTF-8 sequence, or bytes.length: the lead byte of
 * a broken sequence (Latin-1's 0xE9 before an ASCII letter), not the byte that ends it early.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    const length = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0) return i;
    const slice = bytes.subarray(i, i + length);
    if (slice.length < length || !isUtf8(slice)) return i;
    i += length;
  }
  return bytes.length;
}
