// What a source scanner (folder, SFEW, FER2013 CSV) hands the loader: images found but not yet
// decoded, so every source shares one decode step, one set of checks and one hold-out.

import type { Size } from './decode.ts';
import type { SkippedImage } from './types.ts';

export interface PendingImage {
  /** Shown in logs and predictions: a file path as the spec wrote it, or "file.csv:line". */
  origin: string;
  /** Index into the experiment's class list. */
  label: number;
  /** The image file, when the image is one: the loader reads, decodes and caches files in bulk. */
  file?: string;
  /** For images that are not files (CSV rows): decodes to [h, w, c] HWC uint8; throws DecodeError when
   * the image is unusable. Every image has a file or a decode. */
  decode?(size: Size): Promise<Uint8Array>;
}

export interface ScannedSource {
  train: PendingImage[];
  /** The source's own validation split, or null when the loader must hold one out of train. */
  val: PendingImage[] | null;
  /** The source's own test split (a folder's test/, a CSV's PrivateTest rows) when asked for and present. */
  test?: PendingImage[] | null;
  /** Entries rejected while scanning (e.g. malformed CSV rows). */
  skipped: SkippedImage[];
  notes: string[];
  /** Where the training images come from, for DataError messages (as the spec wrote it). */
  display: string;
  /** Absolute path of the same, for DataError.where. */
  where: string;
  /** Where a class's training images come from, for empty-class messages. */
  classWhere(label: number): string;
}
