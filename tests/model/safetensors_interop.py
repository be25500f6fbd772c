"""The Python side of the interop test: reads a weights file written by
gncycleganir with the `safetensors` package, and writes files for it to read.

usage: safetensors_interop.py IN OUT_DIR
  IN        a generator saved by gncycleganir
  OUT_DIR   receives summary.json (per tensor: shape, dtype, float64 sum),
            copy.safetensors (the same tensors and metadata, written here),
            half.safetensors (the tensors as float16), and
            bare.safetensors (the tensors with no metadata at all)
"""
import json
import os
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file


def main(source, out_dir):
    with safe_open(source, framework="np") as handle:
        metadata = handle.metadata()
    if metadata.get("format") != "gncyclegan-weights/1":
        raise SystemExit(f"unexpected metadata: {metadata}")
    tensors = load_file(source)
    summary = {
        name: {"shape": list(array.shape), "dtype": str(array.dtype), "sum": float(array.astype(np.float64).sum())}
        for name, array in tensors.items()
    }
    with open(os.path.join(out_dir, "summary.json"), "w") as out:
        json.dump({"metadata": metadata, "tensors": summary}, out)
    save_file(tensors, os.path.join(out_dir, "copy.safetensors"), metadata=metadata)
    save_file({k: v.astype(np.float16) for k, v in tensors.items()}, os.path.join(out_dir, "half.safetensors"),
              metadata=metadata)
    save_file(tensors, os.path.join(out_dir, "bare.safetensors"))


if __name__ == "__main__":
    main(*sys.argv[1:])
