export type Architecture = 'RRDBNet' | 'SRVGGNetCompact' | 'EDSR' | 'SRGAN';

/** What detection finds from the keys and shapes of a state dict. */
export interface ModelInfo {
  arch: Architecture;
  scale: number;
  inChannels: number;
  outChannels: number;
  /** Number of parameters (elements of every float tensor; BN's num_batches_tracked excluded). */
  params: number;
  /** Architecture-specific sizes (numFeat, numBlock, numGrowCh, numConv, …). */
  [size: string]: unknown;
}
