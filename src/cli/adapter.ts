import { createServerDevice } from '../runtime/node.js';
import { parseCommandArgs, type Command } from './command.js';

export const adapterCommand: Command = {
  name: 'adapter',
  summary: 'show the WebGPU adapter wgsr would use, its limits and features, and self-test it',
  usage: 'Usage: wgsr adapter [--json]\n\nPrints the adapter, the features wgsr uses, and the result of the self-test.',
  async run(argv, io) {
    const json = parseCommandArgs('adapter', argv, [{ name: 'json', kind: 'flag' }]).values.json === true;
    const { device, adapter, features } = await createServerDevice();
    const limits = {
      maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
      maxBufferSize: device.limits.maxBufferSize,
      maxComputeInvocationsPerWorkgroup: device.limits.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupStorageSize: device.limits.maxComputeWorkgroupStorageSize,
    };
    device.destroy();
    if (json) io.stdout(JSON.stringify({ adapter, features, limits, selfTest: 'passed' }));
    else {
      io.stdout(`adapter:   ${adapter.summary}`);
      io.stdout(`features:  ${Object.entries(features).filter(([, v]) => v).map(([k]) => k).join(', ') || 'none'}`);
      for (const [k, v] of Object.entries(limits)) io.stdout(`${k}: ${v}`);
      io.stdout('self-test: passed');
    }
    return 0;
  },
};
