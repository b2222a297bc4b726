import { WgsrError } from '../errors.js';

/**
 * What is known about each device's loss, from one subscription per device (not one per
 * executor, which would keep every executor alive as long as the device).
 */
const losses = new WeakMap<GPUDevice, { info?: GPUDeviceLostInfo }>();

/** The device's loss, if it has been reported; the first call subscribes. */
export function deviceLoss(device: GPUDevice): GPUDeviceLostInfo | undefined {
  let state = losses.get(device);
  if (!state) {
    const s: { info?: GPUDeviceLostInfo } = {};
    losses.set(device, s);
    device.lost.then((info) => (s.info = info), () => undefined);
    state = s;
  }
  return state.info;
}

/** The loss after a failure: implementations may reject a call a moment before `lost` settles. */
async function lossAfterFailure(device: GPUDevice): Promise<GPUDeviceLostInfo | undefined> {
  for (let i = 0; i < 3 && !deviceLoss(device); i++) await new Promise((r) => setTimeout(r, 0));
  return deviceLoss(device);
}

/** Awaits `work`; any failure on a device that turns out to be lost becomes DEVICE_LOST. */
export async function lossChecked<T>(device: GPUDevice, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (e) {
    const lost = await lossAfterFailure(device);
    if (lost) throw new WgsrError('DEVICE_LOST', `the GPU device was lost (${lost.reason || 'unknown'}: ${lost.message || 'no details'})`, { cause: e });
    throw e;
  }
}
