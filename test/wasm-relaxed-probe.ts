// A hand-assembled WebAssembly module that uses one relaxed-SIMD instruction (f32x4.relaxed_madd), so
// tests can ask the engine itself whether the fused-multiply-add kernel build can run here, without
// relying on emoc's own detection (runtime/backend/wasm/simd-kernels.ts) that they check.

const zeros = (): number[] => [0xfd, 0x0c, ...new Array<number>(16).fill(0)]; // v128.const 0
const body = [0x00, ...zeros(), ...zeros(), ...zeros(), 0xfd, 0x85, 0x02, 0x0b]; // no locals; madd; end

/** (func (result v128) (f32x4.relaxed_madd (v128.const 0) (v128.const 0) (v128.const 0))) */
export const RELAXED_SIMD_PROBE = new Uint8Array([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00, // magic, version 1
  0x01,
  0x05,
  0x01,
  0x60,
  0x00,
  0x01,
  0x7b, // type section: () -> v128
  0x03,
  0x02,
  0x01,
  0x00, // function section: one function of type 0
  0x0a,
  body.length + 2,
  0x01,
  body.length,
  ...body, // code section
]);

/** True when this engine (with the V8 flags set so far) accepts relaxed SIMD. */
export function engineHasRelaxedSimd(): boolean {
  return WebAssembly.validate(RELAXED_SIMD_PROBE);
}
