/** Integer helpers for the graph's rational spatial sizes (a value is the input size · num / den). */
export function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export function lcm(a: number, b: number): number {
  return (a * b) / gcd(a, b);
}
