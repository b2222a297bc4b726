"""PyTorch on the CPU training the benchmark's networks from the same .pth on the same batches, for
context: L1 loss, torch.optim.Adam, float32, torch.set_num_threads(threads).
Usage: python3 bench/train/torch_train.py <srvgg|edsr> <workDir> <steps> <threads> <deadlineS>
Writes <workDir>/torch-<net>.json after every step."""
import json, sys, time
import numpy as np
import torch
from torch import nn
import torch.nn.functional as F


class SRVGG(nn.Module):
    def __init__(self, nf, num_conv, upscale):
        super().__init__()
        self.upscale = upscale
        self.body = nn.ModuleList([nn.Conv2d(3, nf, 3, 1, 1), nn.PReLU(nf)])
        for _ in range(num_conv):
            self.body.extend([nn.Conv2d(nf, nf, 3, 1, 1), nn.PReLU(nf)])
        self.body.append(nn.Conv2d(nf, 3 * upscale * upscale, 3, 1, 1))

    def forward(self, x):
        out = x
        for layer in self.body:
            out = layer(out)
        return F.pixel_shuffle(out, self.upscale) + F.interpolate(x, scale_factor=self.upscale, mode='nearest')


class MeanShift(nn.Conv2d):
    def __init__(self, sign):
        super().__init__(3, 3, 1)
        for p in self.parameters():
            p.requires_grad = False


class ResBlock(nn.Module):
    def __init__(self, nf):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(nf, nf, 3, 1, 1), nn.ReLU(True), nn.Conv2d(nf, nf, 3, 1, 1))

    def forward(self, x):
        return self.body(x) + x


class EDSR(nn.Module):
    def __init__(self, nf, blocks, scale):
        super().__init__()
        self.sub_mean = MeanShift(-1)
        self.add_mean = MeanShift(1)
        self.head = nn.Sequential(nn.Conv2d(3, nf, 3, 1, 1))
        self.body = nn.Sequential(*[ResBlock(nf) for _ in range(blocks)], nn.Conv2d(nf, nf, 3, 1, 1))
        self.tail = nn.Sequential(nn.Sequential(nn.Conv2d(nf, scale * scale * nf, 3, 1, 1), nn.PixelShuffle(scale)), nn.Conv2d(nf, 3, 3, 1, 1))

    def forward(self, x):
        x = self.head(self.sub_mean(x))
        return self.add_mean(self.tail(self.body(x) + x))


def main():
    net, work, steps, threads, deadline = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), time.time() + float(sys.argv[5])
    torch.set_num_threads(threads)
    model = SRVGG(32, 10, 4) if net == 'srvgg' else EDSR(64, 16, 2)
    model.load_state_dict(torch.load(f'{work}/{net}.pth', map_location='cpu'), strict=True)
    shapes = json.load(open(f'{work}/{net}-batches.json'))
    floats = np.fromfile(f'{work}/{net}-batches.f32', dtype='<f4')
    at, batches = 0, []
    for s in shapes:
        pair = []
        for shape in (s['lr'], s['hr']):
            n = int(np.prod(shape))
            pair.append(torch.from_numpy(floats[at:at + n].reshape(shape).copy()))
            at += n
        batches.append(pair)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-4, betas=(0.9, 0.999), eps=1e-8)
    result = {'engine': 'torch', 'net': net, 'label': f'PyTorch {torch.__version__} CPU, {threads} threads', 'losses': [], 'stepMs': []}
    for s in range(min(steps, len(batches))):
        if s > 1 and time.time() + max(result['stepMs'][1:]) / 1000 > deadline:
            break
        lr, hr = batches[s]
        t = time.perf_counter()
        opt.zero_grad()
        loss = F.l1_loss(model(lr), hr)
        loss.backward()
        opt.step()
        result['losses'].append(loss.item())
        result['stepMs'].append((time.perf_counter() - t) * 1000)
        json.dump(result, open(f'{work}/torch-{net}.json', 'w'))


main()
