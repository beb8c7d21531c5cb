// The .emo abstract syntax tree. Every node carries the span of source text it came from, so every
// diagnostic, lint finding and formatter decision can point at the exact line and column.

/** 1-based line and column, 0-based offset; `end` is exclusive. */
export interface Pos {
  offset: number;
  line: number;
  column: number;
}

export interface Span {
  start: Pos;
  end: Pos;
  /** The file the span is in (imports and named sections bring nodes from other files). */
  file?: string;
}

interface Node {
  span: Span;
}

export interface NumberValue extends Node {
  kind: 'number';
  value: number;
  raw: string;
}
export interface SizeValue extends Node {
  kind: 'size';
  dims: number[];
  raw: string;
}
export interface StringValue extends Node {
  kind: 'string';
  value: string;
  raw: string;
}
export interface WordValue extends Node {
  kind: 'word';
  name: string;
}
/** `builtin:faces` */
export interface BuiltinValue extends Node {
  kind: 'builtin';
  name: string;
}
/** `$hidden`: replaced by a sweep axis value. */
export interface VariableValue extends Node {
  kind: 'variable';
  name: string;
}
export interface ListValue extends Node {
  kind: 'list';
  items: Value[];
}
export interface MapEntry extends Node {
  key: string;
  keySpan: Span;
  value: Value;
}
export interface MapValue extends Node {
  kind: 'map';
  entries: MapEntry[];
}

export type Value = NumberValue | SizeValue | StringValue | WordValue | BuiltinValue | VariableValue | ListValue | MapValue;

/** `key=value` argument. */
export interface KeyValueArg extends Node {
  kind: 'keyvalue';
  key: string;
  keySpan: Span;
  value: Value;
}

export type Arg = Value | KeyValueArg;

/** One `name arg*`: a layer in a model, a setting elsewhere. */
export interface Call extends Node {
  kind: 'call';
  name: string;
  nameSpan: Span;
  args: Arg[];
  /** `residual [activation] { ... }` (name 'residual', the activation its one argument): the layers whose
   * output the input is added to. */
  body?: Pipeline[];
  /** `repeat N call`: the call N times (expanded by the compiler, compiler/blocks.ts). */
  repeat?: { count: number; raw: string; span: Span };
  /** Set by block expansion on the calls that came from a named block: its name and the call's span. */
  from?: { block: string; call: Span };
}

/** Calls joined by `|` on one logical line. Settings are pipelines of one call. */
export interface Pipeline extends Node {
  kind: 'pipeline';
  calls: Call[];
}

export interface Section extends Node {
  kind: 'section';
  keyword: string;
  keywordSpan: Span;
  /** Header words: `data fer2013` (a named section or a reference to one), `backbone faceres`. */
  header: Value[];
  /** null when the section is only a reference (`data fer2013` without braces). */
  body: Pipeline[] | null;
}

export interface Experiment extends Node {
  kind: 'experiment';
  name: string;
  nameSpan: Span;
  base: string | null;
  baseSpan: Span | null;
  sections: Section[];
}

/** `filters` or `k=3` in `block convbn(filters, k=3) { ... }`. */
export interface BlockParam extends Node {
  name: string;
  default: Value | null;
}

/** `block NAME(params) [residual] { pipelines }`: a named layer block, expanded where it is called. */
export interface BlockDef extends Node {
  kind: 'block';
  name: string;
  nameSpan: Span;
  params: BlockParam[];
  /** The span of the `residual` word when the block's input is added to its output, else null. */
  residual: Span | null;
  /** `residual relu`: the activation applied after the add. */
  activation: WordValue | null;
  body: Pipeline[];
}

export interface Import extends Node {
  kind: 'import';
  path: string;
  pathSpan: Span;
}

export interface Comment extends Node {
  kind: 'comment';
  text: string;
}

export interface EmoFile extends Node {
  kind: 'file';
  file: string;
  imports: Import[];
  /** Experiments, top-level named sections and blocks, in source order. */
  items: (Experiment | Section | BlockDef)[];
  comments: Comment[];
}
