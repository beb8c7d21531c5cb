// The fast path for the images face data sets are made of: small JPEGs already at the input size.
//
// sharp costs about 1 ms of CPU per image whatever its size (pipeline set-up, libvips' threads, the
// round trip to the libuv pool); decoding a 48x48 FER2013 JPEG itself takes a few microseconds. So a
// JPEG that needs nothing but decoding (already h x w, no EXIF orientation, no colour profile, greyscale
// for 1 or 3 channels or YCbCr for 3) is decoded by MozJPEG compiled to WebAssembly (@jsquash/jpeg),
// about 0.15 ms per image. sharp's libvips reads JPEGs with the same MozJPEG, and the resize, rotate,
// flatten and colourspace steps of decode.ts are no-ops for such an image, so the pixels are the same
// bytes (test/data-decode-fast.test.ts checks this against sharp on the FER2013 sample). Anything else
// returns null and goes through sharp, as does any file the wasm decoder rejects, so error messages
// (DecodeError reasons) always come from one place.

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Size } from './decode.ts';

/** What the fast path needs to know from a JPEG's markers, read without decoding it. */
export interface JpegInfo {
  width: number;
  height: number;
  /** 1 (greyscale), 3 (YCbCr or RGB) or 4 (CMYK). */
  components: number;
  /** Bits per sample (8 for nearly every JPEG). */
  precision: number;
  /** An APP1 Exif segment (may hold an orientation that sharp applies). */
  exif: boolean;
  /** An APP2 ICC profile (sharp converts to sRGB through it). */
  icc: boolean;
  /** An APP14 Adobe segment (colour transform flags libjpeg and libvips may read differently). */
  adobe: boolean;
  /** The file ends with the EOI marker: not cut short (sharp rejects truncated files). */
  complete: boolean;
}

/** Start-of-frame markers (baseline, extended, progressive, lossless; Huffman and arithmetic). */
const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

const ascii = (b: Uint8Array, at: number, text: string) => {
  for (let i = 0; i < text.length; i++) if (b[at + i] !== text.charCodeAt(i)) return false;
  return true;
};

/**
 * Walks a JPEG's marker segments up to the first scan; null when the bytes are not a JPEG this walk
 * understands (the caller then leaves the file to sharp).
 */
export function jpegInfo(b: Uint8Array): JpegInfo | null {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null;
  const info: JpegInfo = {
    width: 0,
    height: 0,
    components: 0,
    precision: 0,
    exif: false,
    icc: false,
    adobe: false,
    complete: b[b.length - 2] === 0xff && b[b.length - 1] === 0xd9,
  };
  let p = 2;
  while (p + 4 <= b.length) {
    if (b[p] !== 0xff) return null;
    const marker = b[p + 1];
    if (marker === 0xff) {
      p++; // fill byte
      continue;
    }
    const len = (b[p + 2] << 8) | b[p + 3];
    const seg = p + 4;
    if (len < 2 || p + 2 + len > b.length) return null;
    if (marker === 0xe1 && ascii(b, seg, 'Exif')) info.exif = true;
    else if (marker === 0xe2 && ascii(b, seg, 'ICC_PROFILE')) info.icc = true;
    else if (marker === 0xee && ascii(b, seg, 'Adobe')) info.adobe = true;
    else if (SOF.has(marker)) {
      if (len < 8) return null;
      info.precision = b[seg];
      info.height = (b[seg + 1] << 8) | b[seg + 2];
      info.width = (b[seg + 3] << 8) | b[seg + 4];
      info.components = b[seg + 5];
    } else if (marker === 0xda) {
      return info.components > 0 ? info : null; // start of scan: every header segment has been seen
    }
    p += 2 + len;
  }
  return null;
}

/** Whether the fast path gives exactly what sharp's pipeline would for this image and output size. */
function fastPathApplies(info: JpegInfo, [h, w, c]: Size): boolean {
  if (!info.complete || info.exif || info.icc || info.adobe || info.precision !== 8) return false;
  if (info.width !== w || info.height !== h) return false;
  // Greyscale to 1 or 3 channels (3: the grey value repeated, as libvips does); colour only to colour,
  // since sharp's colour-to-grey conversion is libvips' own formula.
  return info.components === 1 ? c === 1 || c === 3 : info.components === 3 && c === 3;
}

type WasmDecode = (bytes: Uint8Array) => Promise<{ data: Uint8ClampedArray; width: number; height: number }>;
let decoder: Promise<WasmDecode> | null = null;

/** The wasm decoder, compiled once per thread on first use (its loader would fetch() the file in Node). */
function wasmDecoder(): Promise<WasmDecode> {
  decoder ??= (async () => {
    const mod = await import('@jsquash/jpeg/decode.js');
    const wasmPath = createRequire(import.meta.url).resolve('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm');
    const init = mod.init as unknown as (module: WebAssembly.Module) => Promise<void>;
    await init(await WebAssembly.compile(await readFile(wasmPath)));
    return mod.default as unknown as WasmDecode;
  })();
  return decoder;
}

/**
 * [h, w, c] HWC pixels of a JPEG through the fast path, or null when the image needs sharp (anything
 * fastPathApplies refuses, or a file the wasm decoder cannot read).
 */
export async function decodeJpegFast(bytes: Uint8Array, size: Size): Promise<Uint8Array | null> {
  const info = jpegInfo(bytes);
  if (!info || !fastPathApplies(info, size)) return null;
  let rgba: Uint8ClampedArray;
  try {
    const img = await (await wasmDecoder())(bytes);
    if (img.width !== size[1] || img.height !== size[0]) return null;
    rgba = img.data;
  } catch {
    return null; // sharp decodes it again and names the problem
  }
  const [h, w, c] = size;
  const out = new Uint8Array(h * w * c);
  // The decoder hands back RGBA; a greyscale JPEG comes back with R = G = B = the grey value.
  if (c === 1) for (let p = 0; p < h * w; p++) out[p] = rgba[p * 4];
  else
    for (let p = 0, o = 0; p < h * w; p++) {
      out[o++] = rgba[p * 4];
      out[o++] = rgba[p * 4 + 1];
      out[o++] = rgba[p * 4 + 2];
    }
  return out;
}
