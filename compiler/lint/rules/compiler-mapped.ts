// Mistakes the compiler already rejects, reported by lint under rule ids of their own so that
// `emoc lint` output, configs and disable comments name them like every other rule.

import type { Rule } from '../types.ts';

export const classCountMismatch: Rule = {
  id: 'class-count-mismatch',
  severity: 'error',
  doc: 'the final layer width differs from the number of classes (compiler E031)',
  fromCompiler: (d) => d.code === 'E031',
};

export const featureMapCollapse: Rule = {
  id: 'feature-map-collapse',
  severity: 'error',
  doc: 'the stack shrinks the feature map below 1x1 (compiler E030)',
  fromCompiler: (d) => d.code === 'E030',
};

export const unknownTap: Rule = {
  id: 'unknown-tap',
  severity: 'error',
  doc: 'a backbone tap the backbone does not have (compiler E021)',
  fromCompiler: (d) => d.code === 'E021',
};

export const duplicateName: Rule = {
  id: 'duplicate-name',
  severity: 'error',
  doc: 'two experiments, named sections or sweep points with the same name (compiler E016, E043)',
  fromCompiler: (d) => d.code === 'E016' || d.code === 'E043',
};

/** Every other compile diagnostic, with the compiler's own code and severity. */
export const COMPILER_RULE = {
  id: 'compiler',
  doc: 'any other compile diagnostic (see emoc check --codes); severity as the compiler gives it',
};
