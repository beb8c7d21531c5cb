// In-memory image sets shared by every data source (built-in, folders, SFEW, FER2013 CSV).

/** A set of equally sized uint8 images, HWC order, with integer labels into the experiment's class list. */
export interface ImageSet {
  height: number;
  width: number;
  channels: number;
  /** One HWC uint8 buffer per image, height*width*channels bytes each. */
  images: Uint8Array[];
  /** labels[i] is the index of images[i]'s class in the experiment's class list. */
  labels: number[];
  /** Where each image came from (file path, CSV row, or builtin:faces#index), for logs and predictions. */
  origins: string[];
}

/** An image that could not be used, and why. */
export interface SkippedImage {
  origin: string;
  reason: string;
}

export interface LoadedData {
  classes: string[];
  train: ImageSet;
  val: ImageSet;
  /** The held-out test split (data.test), scored once at the end; absent or null when there is none. */
  test?: ImageSet | null;
  skipped: SkippedImage[];
  /** Human-readable notes for the run log (e.g. "folder 'contempt' is not one of the 7 emotions: left out"). */
  notes: string[];
}

// DataError lives with the other typed runtime errors; re-exported here for the data modules.
export { DataError } from '../errors.ts';
