import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { modelId } from '../../src/cli/video.js';
import { readImage } from '../../src/io/index.js';
import { upscaleVideo } from '../../src/runtime/node-video.js';
import { createUpscaler, type Upscaler } from '../../src/upscaler.js';
import { rejection } from '../helpers/errors.js';
import { testDevice } from '../helpers/gpu.js';
import { framePng, frameTimes, HAVE_FFMPEG, makeClip, probe } from './clips.js';

/**
 * `wgsr video` on tiny generated clips (8 frames of ffmpeg's testsrc, 48×32, a 440 Hz tone),
 * with the tiny SRVGGNetCompact fixture so each frame costs little. PNG-in-Matroska output is
 * lossless, so its frames can be compared with `upscale` of the same input frame.
 */
const MODEL = resolve(__dirname, '../fixtures/models/srvgg_x4_tiny/model.pth');
const dir = mkdtempSync(join(tmpdir(), 'wgsr-video-'));
let up: Upscaler;
const io = () => {
  const out = { stdout: [] as string[], stderr: [] as string[] };
  return { out, io: { stdout: (l: string) => out.stdout.push(l), stderr: (l: string) => out.stderr.push(l), interactive: false } };
};
const lossless = { codec: 'png' };
const duration = (s: { duration?: string } | undefined) => Number(s?.duration);

beforeAll(async () => {
  if (!HAVE_FFMPEG) return;
  up = await createUpscaler(readFileSync(MODEL), { device: (await testDevice()).device });
});
afterAll(() => {
  up?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!HAVE_FFMPEG)('wgsr video', () => {
  it('CLI: frame count, size, frame rate, duration and the audio stream are kept; no parts folder is left', async () => {
    const clip = makeClip(dir, 'clip.mp4');
    const out = join(dir, 'clip-x4.mp4');
    const { out: printed, io: cli } = io();
    const code = await main(['video', clip, '-o', out, '-m', MODEL, '--segment', '3'], cli);
    expect(code, printed.stderr.join('\n')).toBe(0);
    const [src, got] = [probe(clip), probe(out)];
    const video = (p: typeof src) => p.streams.find((s) => s.codec_type === 'video')!;
    const audio = (p: typeof src) => p.streams.find((s) => s.codec_type === 'audio');
    expect([video(got).width, video(got).height, video(got).nb_read_frames]).toEqual([192, 128, '8']);
    expect(video(got).r_frame_rate).toBe(video(src).r_frame_rate);
    expect(duration(video(got))).toBeCloseTo(duration(video(src)), 6);
    expect(audio(got)).toBeDefined();
    // The audio is copied: the same stream, the same length.
    expect(duration(audio(got))).toBeCloseTo(duration(audio(src)), 6);
    expect(printed.stdout.join('\n')).toMatch(/8 frames/);
    expect(readdirSync(dir).filter((f) => f.includes('wgsr-parts'))).toEqual([]);
  });

  it('variable frame rate: every frame keeps its timestamp, across segment boundaries', async () => {
    const clip = makeClip(dir, 'vfr.mkv', { vf: "setpts='(N*0.04+gte(N\\,4)*0.1+gte(N\\,6)*0.033)/TB'" });
    const want = frameTimes(clip);
    expect(new Set(want.slice(1).map((t, i) => (t - want[i]!).toFixed(3))).size).toBeGreaterThan(1); // really variable
    // Matroska in (1/1000 s), MP4 out (its own time scale): the times still match exactly.
    const out = join(dir, 'vfr-x4.mp4');
    await upscaleVideo(up, clip, out, { segmentFrames: 3 });
    expect(frameTimes(out)).toEqual(want);
    // The video still starts 21 ms after the audio (mkv's AAC priming): sound and picture stay in sync.
    const lag = (file: string) => {
      const starts = Object.fromEntries(probe(file).streams.map((st) => [st.codec_type, Number(st.start_time)]));
      return starts.video! - starts.audio!;
    };
    expect(lag(out)).toBeCloseTo(lag(clip), 6);
    expect(lag(clip)).toBeGreaterThan(0.01);
  });

  it('10-bit: decoded as 16-bit RGB and encoded as yuv420p10le; an encoder without 10-bit is refused, naming the choices', async () => {
    const clip = makeClip(dir, 'deep.mkv', { frames: 3, video: ['-c:v', 'libx264', '-pix_fmt', 'yuv420p10le'], audio: false });
    const out = join(dir, 'deep-x4.mkv');
    await upscaleVideo(up, clip, out, {});
    const v = probe(out).streams[0]!;
    expect([v.pix_fmt, v.nb_read_frames]).toEqual(['yuv420p10le', '3']);
    const refused = await rejection(upscaleVideo(up, clip, join(dir, 'deep-mpeg4.mkv'), { codec: 'mpeg4' }));
    expect(refused.code).toBe('BAD_ARGUMENT');
    expect(refused.message).toMatch(/10-bit samples \(yuv420p10le\).*mpeg4.*--pix-fmt yuv420p/);
    expect(existsSync(join(dir, 'deep-mpeg4.mkv'))).toBe(false);
  });

  it('alpha: kept through a codec that stores it, refused by one that cannot (unless --drop-alpha)', async () => {
    const clip = makeClip(dir, 'alpha.mkv', { vf: 'format=rgba,geq=r=r(X\\,Y):g=g(X\\,Y):b=b(X\\,Y):a=X*5', frames: 3, video: ['-c:v', 'png'], audio: false });
    const out = join(dir, 'alpha-x4.mkv');
    await upscaleVideo(up, clip, out, lossless);
    expect(probe(out).streams[0]!.pix_fmt).toBe('rgba');
    const frame = await readImage(framePng(out, 2, join(dir, 'alpha-2.png'), 'rgba'));
    const alphas = new Set(Array.from({ length: frame.width }, (_, x) => frame.data[x * 4 + 3]));
    expect(alphas.size).toBeGreaterThan(10); // the ramp survived
    const refused = await rejection(upscaleVideo(up, clip, join(dir, 'alpha.mp4'), {}));
    expect(refused.message).toMatch(/alpha channel.*libx264 cannot store one.*--drop-alpha/);
    await upscaleVideo(up, clip, join(dir, 'alpha.mp4'), { dropAlpha: true });
    expect(probe(join(dir, 'alpha.mp4')).streams[0]!.pix_fmt).toBe('yuv420p');
  });

  it('a stop leaves no output file and the finished segments; --resume finishes, every frame = upscale() of its input frame (±1 level)', async () => {
    const clip = makeClip(dir, 'stop.mp4');
    const out = join(dir, 'stop-x4.mkv'); // PNG in Matroska: lossless, so frames can be compared
    const controller = new AbortController();
    const stopped = await rejection(
      upscaleVideo(up, clip, out, { ...lossless, segmentFrames: 3, signal: controller.signal, onProgress: (p) => p.done === 4 && controller.abort() }),
    );
    expect(stopped.code).toBe('ABORTED');
    expect(stopped.message).toMatch(/1 finished segment kept in .*--resume/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(`${out}.wgsr-parts`).sort()).toEqual(['job.json', 'part-00000.mkv']);
    // Without --resume the folder is not silently reused or deleted.
    expect((await rejection(upscaleVideo(up, clip, out, { ...lossless, segmentFrames: 3 }))).message).toMatch(/--resume/);
    // Other settings cannot resume it.
    expect((await rejection(upscaleVideo(up, clip, out, { ...lossless, segmentFrames: 4, resume: true }))).message).toMatch(/other settings \(segmentFrames\)/);
    const resumed = await upscaleVideo(up, clip, out, { ...lossless, segmentFrames: 3, resume: true });
    expect([resumed.frames, resumed.skipped]).toEqual([8, 3]);
    // Matroska shifts the whole file by the AAC priming delay (no negative times): compare intervals.
    const intervals = (t: number[]) => t.slice(1).map((v, i) => (v - t[i]!).toFixed(6));
    expect(intervals(frameTimes(out))).toEqual(intervals(frameTimes(clip)));
    expect(existsSync(`${out}.wgsr-parts`)).toBe(false);
    for (const n of [1, 6]) {
      const input = await readImage(framePng(clip, n, join(dir, `in-${n}.png`)));
      const want = await up.upscale(input);
      const got = await readImage(framePng(out, n, join(dir, `out-${n}.png`)));
      expect([got.width, got.height]).toEqual([want.width, want.height]);
      let worst = 0;
      got.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - want.data[i]!))));
      expect(worst).toBeLessThanOrEqual(1);
    }
  });

  it('--dni-model F --denoise-strength S: every frame is the blend S·model + (1 − S)·F; its segments resume only at that strength', async () => {
    const { loadWeights } = await import('../../src/weights/load.js');
    const { interpolateStateDicts } = await import('../../src/weights/state-dict.js');
    const { writeTorchZip } = await import('../../src/weights/pth-writer.js');
    const tiny = loadWeights(readFileSync(MODEL)).stateDict;
    // A second model of the same shapes: every weight scaled by 1.2.
    const other = new Map([...tiny].map(([k, t]) => [k, { ...t, data: t.data.map((x) => x * 1.2) }]));
    const otherPath = join(dir, 'other.pth');
    writeFileSync(otherPath, writeTorchZip(other));
    const blended = await createUpscaler(writeTorchZip(interpolateStateDicts(tiny, other, 0.3)), { device: (await testDevice()).device });
    const clip = makeClip(dir, 'dni.mp4');
    const out = join(dir, 'dni-x4.mkv');
    const args = ['video', clip, '-o', out, '-m', MODEL, '--dni-model', otherPath, '--codec', 'png', '--segment', '3'];
    try {
      const { out: printed, io: cli } = io();
      expect(await main([...args, '-dn', '0.3'], cli), printed.stderr.join('\n')).toBe(0);
      expect(printed.stderr).toContain('wgsr: model model.pth (denoise strength 0.3, with other.pth): SRVGGNetCompact ×4, f32 activations');
      for (const n of [0, 5]) {
        const input = await readImage(framePng(clip, n, join(dir, `dni-in-${n}.png`)));
        const got = await readImage(framePng(out, n, join(dir, `dni-out-${n}.png`)));
        const [want, alone] = [await blended.upscale(input), await up.upscale(input)];
        let [worst, apart] = [0, 0];
        got.data.forEach((v, i) => {
          worst = Math.max(worst, Math.abs(v - want.data[i]!));
          apart = Math.max(apart, Math.abs(v - alone.data[i]!));
        });
        expect(worst).toBeLessThanOrEqual(1);
        expect(apart).toBeGreaterThan(1); // the blend is not -m alone
      }
      // Segments made at one strength are not finished at another: the id --resume checks differs.
      const resolved = (strength: number) => ({ bytes: readFileSync(MODEL), label: 'model.pth', bundled: false, dni: { bytes: readFileSync(otherPath), strength, source: 'other.pth' } });
      expect(modelId(resolved(0.3))).toBe(modelId(resolved(0.3)));
      expect(modelId(resolved(0.3))).not.toBe(modelId(resolved(0.4)));
      expect(modelId(resolved(0.3))).not.toBe(modelId({ bytes: readFileSync(MODEL), label: 'model.pth', bundled: false }));
      // A strength without a second model for -m is refused before the video is read.
      const { out: bad, io: cli3 } = io();
      expect(await main(['video', join(dir, 'missing.mp4'), '-o', join(dir, 'x.mp4'), '-m', MODEL, '-dn', '0.5'], cli3)).toBe(2);
      expect(bad.stderr.join('\n')).toMatch(/with -m FILE give the second as --dni-model FILE/);
    } finally {
      blended.destroy();
    }
  });

  it('--start/--duration take part of the input, audio trimmed alike', async () => {
    const clip = makeClip(dir, 'trim.mp4');
    const out = join(dir, 'trim-x4.mp4');
    const result = await upscaleVideo(up, clip, out, { start: '0.08', duration: '0.16' });
    expect(result.frames).toBe(4);
    const p = probe(out);
    expect(p.streams.find((s) => s.codec_type === 'video')!.nb_read_frames).toBe('4');
    expect(duration(p.streams.find((s) => s.codec_type === 'audio'))).toBeCloseTo(0.16, 1);
  });

  it('without ffmpeg: one clear line saying how to install it', async () => {
    const saved = process.env.WGSR_FFMPEG;
    process.env.WGSR_FFMPEG = join(dir, 'no-such-ffmpeg');
    try {
      const { out: printed, io: cli } = io();
      expect(await main(['video', join(dir, 'clip.mp4'), '-o', join(dir, 'x.mp4'), '-m', MODEL], cli)).toBe(1);
      expect(printed.stderr.at(-1)).toMatch(/video needs FFmpeg.*apt-get install ffmpeg/);
    } finally {
      if (saved === undefined) delete process.env.WGSR_FFMPEG;
      else process.env.WGSR_FFMPEG = saved;
    }
  });
});
