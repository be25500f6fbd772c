"""The element's job as a Python loop (Debian's python3-torch and
python3-opencv): read a frame, preprocess, run the generator, postprocess,
write the 8-bit infrared frame, with the same weights file as the element
(read here without the safetensors package, which Debian 12 lacks).

usage: python_loop.py VIDEO MODEL THREADS
prints: frames/s (from the median time between frames, after the first two)
"""
import json
import re
import statistics
import struct
import sys
import time

import cv2
import numpy as np
import torch

from train_step import resnet_generator


def load_generator(path):
    """A ResNet generator with the architecture and weights of a gncyclegan-train weights file."""
    with open(path, "rb") as file:
        header = json.loads(file.read(struct.unpack("<Q", file.read(8))[0]))
        data = file.read()
    metadata = header.pop("__metadata__")
    blocks, cbam = re.fullmatch(r"resnet_(\d+)blocks(_cbam)?", metadata["architecture"]).groups()
    generator = resnet_generator(int(metadata["in_channels"]), int(metadata["out_channels"]), int(metadata["ngf"]),
                                 int(blocks), bool(cbam))
    state = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        assert entry["dtype"] == "F32", f"{name}: {entry['dtype']}"
        state[name.removeprefix("model.")] = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32).view(
            entry["shape"])
    missing, unexpected = generator.load_state_dict(state, strict=False)
    assert not unexpected and all(key.endswith("num_batches_tracked") for key in missing), (missing, unexpected)
    return generator.eval()


def main(video, model, threads):
    torch.set_num_threads(int(threads))
    cv2.setNumThreads(1)
    generator = load_generator(model)
    capture = cv2.VideoCapture(video)
    output = None
    arrivals = []
    with torch.no_grad():
        while True:
            ok, bgr = capture.read()  # read
            if not ok:
                break
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)  # preprocess
            x = torch.from_numpy(rgb).permute(2, 0, 1).unsqueeze(0).float().div(127.5).sub(1)
            h, w = x.shape[2:]
            x = torch.nn.functional.pad(x, (0, -w % 4, 0, -h % 4), mode="replicate")
            y = generator(x)[0, 0, :h, :w]  # forward
            gray = ((y.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()  # postprocess
            if output is None:
                output = np.empty_like(gray)
            output[...] = gray  # write
            arrivals.append(time.monotonic())
    gaps = [later - earlier for earlier, later in zip(arrivals[2:], arrivals[3:])]
    print(f"{1 / statistics.median(gaps):.3f}")


if __name__ == "__main__":
    main(*sys.argv[1:])
