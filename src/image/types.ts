/** An 8- or 16-bit image, HWC interleaved, row-major (what PNG and JPEG decoders produce). */
export interface Image {
  width: number;
  height: number;
  /** 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
  bitDepth: 8 | 16;
  /** Uint8Array for 8-bit, Uint16Array for 16-bit; width·height·channels elements. */
  data: Uint8Array | Uint16Array;
}

/** What the pipeline needs from a network. */
export interface TileNetwork {
  readonly scale: number;
  readonly inChannels: number;
  readonly outChannels: number;
  /** Input value range inside the network: 1 for most models, 255 for EDSR (rgb_range 255). */
  readonly inputRange: number;
  /**
   * Maps raw network output to [0,1] before clamping: identity for most; SRGAN's tanh output
   * uses (y+1)/2. When absent the output is taken to live in the input's range: y / inputRange.
   */
  readonly outputToUnit?: (y: number) => number;
  /** Mod-padding the network needs on its input (Real-ESRGAN: 2 for scale 2, 4 for scale 1, else 1). */
  readonly sizeMultiple: number;
  /** Runs the network on one [C,H,W] float tile (values in 0..inputRange); resolves to [outC, H·s, W·s]. */
  forward(tile: Float32Array, height: number, width: number, options?: TileRunOptions): Promise<Float32Array>;
  /**
   * Optional pipelined form of `forward`: starts the tile and resolves once it is under way,
   * before its output exists. upscaleImage then prepares and submits the next tile while this
   * one computes, and collects this one after (at most two tiles in flight).
   */
  submit?(tile: Float32Array, height: number, width: number, options?: TileRunOptions): Promise<SubmittedTile>;
  /**
   * Whether the network takes `{ tta: true }`: the mean of its output over the eight flips and
   * rotations of the tile, computed where the network runs (the GPU), not from CPU copies.
   */
  readonly tta?: boolean;
  /** Largest tile side (input pixels, before tilePad) that fits the memory budget; used when no tile size is given. */
  maxTileSide(): number;
  /**
   * Optional: the most input pixels one network input may have within the memory budget (any
   * shape). With it, an image runs whole whenever its area fits, even when its longer side is
   * beyond maxTileSide() (which is for square tiles with their pads).
   */
  maxTilePixels?(): number;
  /**
   * Optional: the network does its work in blocks of this many input pixels along each side,
   * so a tile side just past a multiple pays for a whole extra row of blocks. The automatic
   * tile size then picks the side (down to half of maxTileSide()) whose tiles need the fewest.
   */
  readonly tileAlignment?: number;
}

/** How one tile is run. */
export interface TileRunOptions {
  /** Test-time augmentation (TileNetwork.tta). */
  readonly tta?: boolean;
}

/** A tile a network has started. Call exactly one of its methods, once. */
export interface SubmittedTile {
  /** Waits for the tile's [outC, H·s, W·s] output. */
  collect(): Promise<Float32Array>;
  /** Lets go of a tile whose output is no longer wanted (after an error or an abort); resolves when nothing of it is in use, and fails for no GPU reason. */
  discard(): Promise<void>;
}

/** Where a streamed output goes, band by band from the top (UpscaleOptions.rows). */
export interface RowSink {
  /**
   * The output's size, before any rows. Called again, from row 0, when the image is started
   * over (a retry with smaller tiles after the GPU ran out of memory): forget the rows so far.
   */
  begin(header: { width: number; height: number; channels: Image['channels']; bitDepth: 8 | 16 }): void | Promise<void>;
  /** Rows [y0, y0 + band.height) of the output, in order; `band` is only valid during the call. */
  rows(band: Image, y0: number): void | Promise<void>;
}

export interface UpscaleOptions {
  /** 0/undefined = automatic: whole image if it fits (maxTilePixels(), else maxTileSide()), else tiles of at most that size (see tileAlignment). */
  tile?: number;
  /** Default 10 (Real-ESRGAN's CLI default). */
  tilePad?: number;
  /** Default 0: reflect pad at the bottom/right, cropped back after. */
  prePad?: number;
  /** Final scale; default = network scale; other values resample the network output. */
  outscale?: number;
  /** Default 'network'. */
  alpha?: 'network' | 'resize';
  /**
   * Seam-free tiles: neighbouring tiles are cross-faded with raised-cosine weights that sum to
   * one over a band of this many input pixels centred on their edge (at most 2·tilePad, the
   * overlap they share), instead of cropped at it. true = the default band (see tile-size.ts),
   * false or 0 = Real-ESRGAN's crop. The same tiles run either way.
   */
  tileBlend?: boolean | number;
  /**
   * Test-time augmentation: each tile is the mean of the network over its eight flips and
   * rotations (realesrgan-ncnn-vulkan's -x); about 8× the work. Default false.
   */
  tta?: boolean;
  /** Called after every tile (alpha tiles included). */
  onProgress?: (done: number, total: number) => void;
  /** Checked between tiles: a fired signal throws WgsrError('ABORTED'). */
  signal?: AbortSignal;
  /**
   * Default true: with a network that has `submit`, the next tile is gathered and submitted
   * before the current one is collected, so CPU and GPU work overlap. false runs one tile at a
   * time through `forward` (the same bytes; for comparisons).
   */
  overlap?: boolean;
  /**
   * Stream the output: its rows go to this sink a band of tiles at a time (alpha and outscale
   * applied band by band), and only about one row of tiles of output is ever held, instead of
   * the whole image. The image handed back then has no samples (`data` is empty).
   */
  rows?: RowSink;
}
