/**
 * A GPUDevice wrapper for reliability tests: counts live buffers (created and not destroyed), and
 * can make every createBuffer above `oomAbove` bytes report an out-of-memory error to the
 * innermost 'out-of-memory' error scope, as a real driver does when an allocation fails. The
 * buffer itself is still created, so nothing else about the run changes.
 */
export interface TrackingDevice {
  device: GPUDevice;
  /** Buffers created through the wrapper and not yet destroyed. */
  readonly live: Set<GPUBuffer>;
  /** Total size of the live buffers, or of those whose label matches. */
  liveBytes(label?: RegExp): number;
  /** How many allocations were made to fail. */
  readonly failures: () => number;
  oomAbove: number;
  /** When set, the wrapper's limits claim this maxStorageBufferBindingSize. */
  bindingLimit?: number;
}

export function trackingDevice(target: GPUDevice, oomAbove = Infinity): TrackingDevice {
  const live = new Set<GPUBuffer>();
  const labels = new WeakMap<GPUBuffer, string>();
  const scopes: { filter: GPUErrorFilter; error: { message: string } | null }[] = [];
  let failures = 0;
  const liveBytes = (label?: RegExp) => [...live].filter((b) => !label || label.test(labels.get(b)!)).reduce((sum, b) => sum + b.size, 0);
  const tracker: TrackingDevice = { device: target, live, liveBytes, failures: () => failures, oomAbove };
  tracker.device = new Proxy(target, {
    get(t, prop) {
      if (prop === 'createBuffer') {
        return (d: GPUBufferDescriptor) => {
          const buffer = t.createBuffer(d);
          live.add(buffer);
          labels.set(buffer, d.label ?? '');
          const destroy = buffer.destroy.bind(buffer);
          buffer.destroy = () => {
            live.delete(buffer);
            destroy();
          };
          if (d.size > tracker.oomAbove) {
            const scope = [...scopes].reverse().find((s) => s.filter === 'out-of-memory');
            if (scope) {
              failures++;
              scope.error ??= { message: `simulated: no memory for ${d.size} bytes` };
            }
          }
          return buffer;
        };
      }
      if (prop === 'limits' && tracker.bindingLimit !== undefined) {
        return new Proxy(t.limits, {
          get: (l, name) => (name === 'maxStorageBufferBindingSize' ? tracker.bindingLimit : Reflect.get(l, name, l)),
        });
      }
      if (prop === 'pushErrorScope') {
        return (filter: GPUErrorFilter) => {
          scopes.push({ filter, error: null });
          t.pushErrorScope(filter);
        };
      }
      if (prop === 'popErrorScope') {
        return async () => {
          const scope = scopes.pop();
          const real = await t.popErrorScope();
          return scope?.error ?? real;
        };
      }
      const v = Reflect.get(t, prop, t);
      return typeof v === 'function' ? v.bind(t) : v;
    },
  });
  return tracker;
}
