import type { Place, StorageSpec } from './ops.js';

/**
 * Which channels of each gradient storage hold a gradient yet, while the backward is being
 * planned, so that every contribution is either a plain write (the first to its channels: no
 * need to clear anything first, nor to read it) or an accumulation (a value read by several
 * nodes sums their gradients). A contribution that covers both kinds of channel (a dense
 * block's conv5 reads x‖x1‖…‖x4 after x's gradient already got the block's residual) first
 * zeroes the part still empty, then accumulates over the whole.
 */
export class GradientWrites {
  private readonly ready = new Map<number, Uint8Array>();

  constructor(private readonly storages: readonly StorageSpec[]) {}

  private flags(storage: number): Uint8Array {
    let f = this.ready.get(storage);
    if (!f) {
      f = new Uint8Array(this.storages[storage]!.channels);
      this.ready.set(storage, f);
    }
    return f;
  }

  /** Plans a contribution to `place`: whether it accumulates, and the ranges to zero first. */
  contribute(place: Place): { accumulate: boolean; zero: Place[] } {
    const f = this.flags(place.storage);
    const from = place.channelOffset;
    const to = from + place.channels;
    const have = f.subarray(from, to);
    const count = have.reduce((a, b) => a + b, 0);
    const zero: Place[] = [];
    if (count > 0 && count < place.channels) {
      for (let c = from; c < to; ) {
        if (f[c]) {
          c++;
          continue;
        }
        let end = c;
        while (end < to && !f[end]) end++;
        zero.push({ storage: place.storage, channelOffset: c, channels: end - c });
        c = end;
      }
    }
    have.fill(1);
    return { accumulate: count > 0, zero };
  }

  /** True when every channel of `place` holds a gradient; false when none does. */
  complete(place: Place): boolean {
    const have = this.flags(place.storage).subarray(place.channelOffset, place.channelOffset + place.channels);
    const count = have.reduce((a, b) => a + b, 0);
    if (count !== 0 && count !== place.channels) throw new Error(`the gradient of channels ${place.channelOffset}… of storage ${place.storage} is only partly computed`);
    return count > 0;
  }
}
