#!/usr/bin/env python3
"""How much of real infrared's fine detail an image predicts: per aligned pair,
the correlation between the high-pass (image - its Gaussian blur of sigma S)
of a candidate and that of the real infrared image, and the candidate's
high-pass amplitude (standard deviation) relative to real infrared's, averaged
over the set; beside them, how much of real infrared's edge energy (the
sharpness score's mean Sobel magnitude) survives the same blurs, i.e. how much
lies in detail finer than S. Candidates: the visible image in gray (its
correlation's sign varies per image, so |correlation| is shown too) and every
--predictions folder (images named as the visible ones, e.g. the element's
outputs). Needs Debian's python3-opencv (scripts/install-deps.sh --bench).

usage: detail-correlation.py --visible DIR --infrared DIR [--predictions NAME=DIR ...]
prints: a markdown table
"""
import argparse
import pathlib
import sys

import cv2
import numpy as np

SIGMAS = (1.0, 2.0, 4.0)


def gray(path):
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if image is None:
        sys.exit(f"{path}: not an image OpenCV can read")
    return image.astype(np.float64)


def high_pass(image, sigma):
    return image - cv2.GaussianBlur(image, (0, 0), sigma)


def edge_energy(image):
    gx = cv2.Sobel(image, cv2.CV_64F, 1, 0, ksize=3, borderType=cv2.BORDER_REPLICATE)
    gy = cv2.Sobel(image, cv2.CV_64F, 0, 1, ksize=3, borderType=cv2.BORDER_REPLICATE)
    return np.sqrt(gx * gx + gy * gy).mean()


def by_stem(folder):
    folder = pathlib.Path(folder)
    if not folder.is_dir():
        sys.exit(f"{folder}: no such directory")
    return {path.stem: path for path in sorted(folder.iterdir()) if path.is_file()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visible", required=True, help="folder of visible images")
    parser.add_argument("--infrared", required=True, help="folder of the aligned infrared images (same names)")
    parser.add_argument("--predictions", action="append", default=[], metavar="NAME=DIR",
                        help="a folder of generated infrared images named as the visible ones (repeatable)")
    args = parser.parse_args()

    infrared = by_stem(args.infrared)
    candidates = [("visible in gray", by_stem(args.visible))]
    for spec in args.predictions:
        name, sep, folder = spec.partition("=")
        if not sep:
            sys.exit(f"--predictions {spec}: give NAME=DIR")
        candidates.append((name, by_stem(folder)))
    stems = sorted(set(infrared).intersection(*(set(files) for _, files in candidates)))
    if not stems:
        sys.exit("no image name is in every folder: nothing to compare")

    survived = np.zeros(len(SIGMAS))
    scores = {name: np.zeros((len(stems), 3, len(SIGMAS))) for name, _ in candidates}
    for i, stem in enumerate(stems):
        target = gray(infrared[stem])
        energy = edge_energy(target)
        survived += [edge_energy(cv2.GaussianBlur(target, (0, 0), s)) / energy for s in SIGMAS]
        target_detail = [high_pass(target, s).ravel() for s in SIGMAS]
        for name, files in candidates:
            image = gray(files[stem])
            if image.shape != target.shape:
                image = cv2.resize(image, (target.shape[1], target.shape[0]), interpolation=cv2.INTER_AREA)
            for k, s in enumerate(SIGMAS):
                detail = high_pass(image, s).ravel()
                correlation = np.corrcoef(detail, target_detail[k])[0, 1]
                scores[name][i, :, k] = correlation, abs(correlation), detail.std() / target_detail[k].std()

    sigmas = " / ".join(f"{s:g}" for s in SIGMAS)
    print(f"{len(stems)} pairs; high-pass = image - Gaussian blur of sigma {sigmas} px")
    print()
    print("| image | correlation with real infrared's | abs(correlation) | amplitude / real infrared's |")
    print("|---|---|---|---|")
    for name, _ in candidates:
        mean = scores[name].mean(axis=0)
        print(f"| {name} | " + " | ".join(" / ".join(f"{v:.3f}" for v in row) for row in mean) + " |")
    print()
    print(f"real infrared's sharpness after the blur of sigma {sigmas}: "
          + " / ".join(f"{v:.3f}" for v in survived / len(stems)))


if __name__ == "__main__":
    main()
