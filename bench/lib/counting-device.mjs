/**
 * Wraps a GPUDevice so that the buffers made through it are counted: `liveBytes(/^activations/)`
 * is the total size of those with a matching label that exist now (made and not destroyed).
 * Everything else goes straight to the real device.
 * @param {GPUDevice} device
 */
export function countingDevice(device) {
  const live = new Map();
  const createBuffer = (descriptor) => {
    const buffer = device.createBuffer(descriptor);
    live.set(buffer, { label: descriptor.label ?? '', size: descriptor.size });
    const destroy = buffer.destroy.bind(buffer);
    buffer.destroy = () => {
      live.delete(buffer);
      destroy();
    };
    return buffer;
  };
  const counting = new Proxy(device, {
    get(target, key) {
      if (key === 'createBuffer') return createBuffer;
      const v = Reflect.get(target, key, target);
      // Native methods need the real device as `this`.
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return {
    device: counting,
    /** @param {RegExp} label */
    liveBytes: (label) => [...live.values()].filter((b) => label.test(b.label)).reduce((s, b) => s + b.size, 0),
  };
}
