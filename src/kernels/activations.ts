/**
 * Activation functions as WGSL expressions, shared by the conv epilogue and the standalone
 * activation kernel so both compute exactly the same thing.
 */
export type Activation =
  | { kind: 'none' }
  | { kind: 'relu' }
  | { kind: 'leaky_relu'; slope: number }
  /** Slopes come from the packed conv weights (conv) or a slope buffer (standalone): per channel, or one shared. */
  | { kind: 'prelu' }
  | { kind: 'tanh' };

export type ActivationKind = Activation['kind'];

/**
 * WGSL applying an activation to `v`, an expression of type `type`. `slope` is an expression of
 * the same type holding the negative slope (LeakyReLU: from the uniforms; PReLU: per channel).
 */
export function activationWgsl(kind: ActivationKind, v: string, slope: string, type: 'f32' | 'vec4f'): string {
  const c = (x: string) => `${type}(${x})`;
  switch (kind) {
    case 'none':
      return v;
    case 'relu':
      return `max(${v}, ${c('0.0')})`;
    case 'leaky_relu':
    case 'prelu':
      return `select(${v} * ${slope}, ${v}, ${v} >= ${c('0.0')})`;
    case 'tanh':
      // tanh(±15) is ±1 to f32 precision; clamping first keeps implementations that compute
      // tanh from exp(2x) away from inf/inf = NaN on large inputs.
      return `tanh(clamp(${v}, ${c('-15.0')}, ${c('15.0')}))`;
  }
}

/** The LeakyReLU slope a kernel puts in its uniforms (0 when unused). */
export const leakySlope = (a: Activation | undefined): number => (a?.kind === 'leaky_relu' ? a.slope : 0);
