"""The GN-CycleGAN training step in Python/PyTorch, for comparing speed with
gncyclegan-train's C++ step (benchmarks/train_step.sh runs both). The
networks are the CycleGAN reference's (ResnetGenerator, NLayerDiscriminator),
with CBAM in the residual blocks and gradient normalization as in GN-GAN.

usage: train_step.py --generator resnet_9blocks_cbam --ngf 64 --crop 256 [--no-gn] [--steps 10] [--threads 2]
prints: median milliseconds per step
"""
import argparse
import random
import re
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class SpatialGate(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 1, 7, padding=3, bias=False)
        self.bn = nn.BatchNorm2d(1, eps=1e-5, momentum=0.01)

    def forward(self, x):
        pooled = torch.cat([x.max(1, keepdim=True)[0], x.mean(1, keepdim=True)], 1)
        return x * torch.sigmoid(self.bn(self.conv(pooled)))


class Cbam(nn.Module):
    def __init__(self, channels, reduction=16):
        super().__init__()
        hidden = max(1, channels // reduction)
        self.mlp = nn.Sequential(nn.Linear(channels, hidden), nn.ReLU(), nn.Linear(hidden, channels))
        self.spatial = SpatialGate()

    def forward(self, x):
        attention = torch.sigmoid(self.mlp(x.mean((2, 3))) + self.mlp(x.amax((2, 3))))
        return self.spatial(x * attention[:, :, None, None])


class ResnetBlock(nn.Module):
    def __init__(self, dim, cbam):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3), nn.InstanceNorm2d(dim), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3), nn.InstanceNorm2d(dim))
        self.cbam = Cbam(dim) if cbam else None

    def forward(self, x):
        branch = self.conv_block(x)
        return x + (self.cbam(branch) if self.cbam is not None else branch)


def resnet_generator(in_nc, out_nc, ngf, n_blocks, cbam):
    layers = [nn.ReflectionPad2d(3), nn.Conv2d(in_nc, ngf, 7), nn.InstanceNorm2d(ngf), nn.ReLU(True)]
    for mult in (1, 2):
        layers += [nn.Conv2d(ngf * mult, ngf * mult * 2, 3, stride=2, padding=1), nn.InstanceNorm2d(ngf * mult * 2),
                   nn.ReLU(True)]
    layers += [ResnetBlock(ngf * 4, cbam) for _ in range(n_blocks)]
    for mult in (4, 2):
        layers += [nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 3, stride=2, padding=1, output_padding=1),
                   nn.InstanceNorm2d(ngf * mult // 2), nn.ReLU(True)]
    layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, out_nc, 7), nn.Tanh()]
    return nn.Sequential(*layers)


def patchgan(in_nc, ndf=64):
    layers = [nn.Conv2d(in_nc, ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]
    mult = 1
    for n in range(1, 4):
        previous, mult = mult, min(2 ** n, 8)
        layers += [nn.Conv2d(ndf * previous, ndf * mult, 4, stride=2 if n < 3 else 1, padding=1),
                   nn.InstanceNorm2d(ndf * mult), nn.LeakyReLU(0.2, True)]
    layers += [nn.Conv2d(ndf * mult, 1, 4, stride=1, padding=1)]
    return nn.Sequential(*layers)


def init_weights(net):
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
    return net


class ImagePool:
    """The reference's image buffer (util/image_pool.py)."""

    def __init__(self, size=50):
        self.size, self.images = size, []

    def query(self, images):
        returned = []
        for image in images:
            image = image.detach().clone().unsqueeze(0)
            if len(self.images) < self.size:
                self.images.append(image)
                returned.append(image)
            elif random.random() > 0.5:
                slot = random.randrange(self.size)
                returned.append(self.images[slot].clone())
                self.images[slot] = image
            else:
                returned.append(image)
        return torch.cat(returned, 0)


def normalize_gradient(net, x):
    if not x.requires_grad:
        x = x.detach().clone().requires_grad_(True)
    f = net(x)
    grad = torch.autograd.grad(f, [x], torch.ones_like(f), create_graph=True, retain_graph=True)[0]
    grad_norm = torch.flatten(grad, 1).norm(2, dim=1).view(-1, *[1] * (f.dim() - 1))
    return f / (grad_norm + f.abs()).clamp_min(1e-12)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--generator", default="resnet_9blocks_cbam")
    parser.add_argument("--ngf", type=int, default=64)
    parser.add_argument("--crop", type=int, default=256)
    parser.add_argument("--no-gn", action="store_true")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    match = re.fullmatch(r"resnet_(\d+)blocks(_cbam)?", args.generator)
    blocks, cbam = int(match.group(1)), bool(match.group(2))
    G_A = init_weights(resnet_generator(3, 1, args.ngf, blocks, cbam))
    G_B = init_weights(resnet_generator(1, 3, args.ngf, blocks, cbam))
    D_A, D_B = init_weights(patchgan(1)), init_weights(patchgan(3))
    opt_G = torch.optim.Adam(list(G_A.parameters()) + list(G_B.parameters()), lr=2e-4, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(list(D_A.parameters()) + list(D_B.parameters()), lr=2e-4, betas=(0.5, 0.999))
    discriminate = (lambda net, x: net(x)) if args.no_gn else normalize_gradient
    bce = F.binary_cross_entropy_with_logits
    real_A = torch.rand(1, 3, args.crop, args.crop) * 2 - 1
    real_B = torch.rand(1, 1, args.crop, args.crop) * 2 - 1
    luma = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    pool_A, pool_B = ImagePool(), ImagePool()

    def step():
        fake_B = G_A(real_A)
        rec_A = G_B(fake_B)
        fake_A = G_B(real_B)
        rec_B = G_A(fake_A)
        for p in list(D_A.parameters()) + list(D_B.parameters()):
            p.requires_grad_(False)
        opt_G.zero_grad()
        pred_A, pred_B = discriminate(D_A, fake_B), discriminate(D_B, fake_A)
        loss = (bce(pred_A, torch.ones_like(pred_A)) + bce(pred_B, torch.ones_like(pred_B))
                + F.l1_loss(rec_A, real_A) * 10 + F.l1_loss(rec_B, real_B) * 10
                + F.l1_loss(G_A(real_B.expand(-1, 3, -1, -1)), real_B) * 5
                + F.l1_loss(G_B((real_A * luma).sum(1, keepdim=True)), real_A) * 5)
        loss.backward()
        opt_G.step()
        for p in list(D_A.parameters()) + list(D_B.parameters()):
            p.requires_grad_(True)
        opt_D.zero_grad()
        for net, real, fake in ((D_A, real_B, pool_A.query(fake_B)), (D_B, real_A, pool_B.query(fake_A))):
            on_real, on_fake = discriminate(net, real), discriminate(net, fake)
            ((bce(on_real, torch.ones_like(on_real)) + bce(on_fake, torch.zeros_like(on_fake))) * 0.5).backward()
        opt_D.step()

    for _ in range(2):
        step()
    times = []
    for _ in range(args.steps):
        started = time.perf_counter()
        step()
        times.append((time.perf_counter() - started) * 1000)
    print(f"{statistics.median(times):.1f}")


if __name__ == "__main__":
    main()
