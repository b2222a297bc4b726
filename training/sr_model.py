"""SRVGGNetCompact with Real-ESRGAN's exact state-dict layout.

Keys: body.0 conv(in->nf), body.1 PReLU(nf), then num_conv x [conv(nf->nf), PReLU(nf)],
last conv(nf->out*scale^2). The output is pixel_shuffle(scale) plus a nearest-neighbour
upscaled copy of the input, so the network only learns the residual over nearest upscaling.
"""
import torch
from torch import nn
import torch.nn.functional as F


class SRVGGNetCompact(nn.Module):
    def __init__(self, num_in_ch=3, num_out_ch=3, num_feat=32, num_conv=10, upscale=4):
        super().__init__()
        self.upscale = upscale
        body = [nn.Conv2d(num_in_ch, num_feat, 3, 1, 1), nn.PReLU(num_parameters=num_feat)]
        for _ in range(num_conv):
            body += [nn.Conv2d(num_feat, num_feat, 3, 1, 1), nn.PReLU(num_parameters=num_feat)]
        body.append(nn.Conv2d(num_feat, num_out_ch * upscale * upscale, 3, 1, 1))
        self.body = nn.ModuleList(body)
        self.upsampler = nn.PixelShuffle(upscale)

    def forward(self, x):
        out = x
        for layer in self.body:
            out = layer(out)
        out = self.upsampler(out)
        return out + F.interpolate(x, scale_factor=self.upscale, mode='nearest')
