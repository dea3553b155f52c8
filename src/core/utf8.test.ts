import { describe, expect, it } from 'vitest';
import { firstInvalidUtf8, utf16ByteOrderMark } from './utf8.ts';

const bytes = (...values: number[]) => new Uint8Array(values);

describe('firstInvalidUtf8', () => {
  it('is the length of valid UTF-8, multi-byte characters included', () => {
    const text = new TextEncoder().encode('café ✓ 𝄞');
    expect(text.length).toBe(14);
    expect(firstInvalidUtf8(text)).toBe(14);
  });

  it('points at the lead byte of a broken sequence, not the byte that ends it early', () => {
    expect(firstInvalidUtf8(bytes(0x63, 0x61, 0x66, 0xe9, 0x78))).toBe(3); // Latin-1 "caféx"
    expect(firstInvalidUtf8(bytes(0x61, 0xc3))).toBe(1); // truncated at the end
    expect(firstInvalidUtf8(bytes(0xe0, 0x80, 0x80))).toBe(0); // overlong
    expect(firstInvalidUtf8(bytes(0xed, 0xa0, 0x80))).toBe(0); // a UTF-16 surrogate
    expect(firstInvalidUtf8(bytes(0x61, 0x80))).toBe(1); // a lone continuation byte
  });
});

describe('utf16ByteOrderMark', () => {
  it('names either byte order, and nothing for UTF-8 or a short file', () => {
    expect(utf16ByteOrderMark(bytes(0xff, 0xfe, 0x61, 0x00))).toBe('FF FE');
    expect(utf16ByteOrderMark(bytes(0xfe, 0xff, 0x00, 0x61))).toBe('FE FF');
    expect(utf16ByteOrderMark(bytes(0xef, 0xbb, 0xbf, 0x61))).toBeUndefined();
    expect(utf16ByteOrderMark(bytes(0xff))).toBeUndefined();
  });
});
