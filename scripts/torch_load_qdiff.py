#!/usr/bin/python3
"""Load qdiff weights (`qdiff export --out model.safetensors`) into the PyTorch reference U-Net
(scripts/torch_reference_unet.py) and check that PyTorch gives qdiff's output.

    /usr/bin/python3 scripts/torch_load_qdiff.py model.safetensors [--probe probe.safetensors]
    /usr/bin/python3 scripts/torch_load_qdiff.py --self-test --qdiff build/qdiff

As a library:
    sys.path.insert(0, "scripts"); from torch_load_qdiff import load_qdiff_unet
    net, meta = load_qdiff_unet("model.safetensors")   # torch.nn.Module in eval mode, dict of strings
    eps = net(x, t)                                    # x: [B,C,28,28], t: [B] int64

Supported: the paper arch ("model.arch": "paper") with the classical or no bottleneck branch
(the reference module has no quantum circuit). The parameter names in the file are qdiff's
registry names, which the reference module uses as its own, so loading is strict
(load_state_dict(strict=True): a missing, extra or misshapen tensor is an error).

The safetensors file is parsed here with json + struct + numpy (no `safetensors` package needed):
8-byte little-endian header length, JSON header, raw little-endian F32 tensors.

--probe: a file from `qdiff export --probe` holding a fixed input x, t and qdiff's output eps;
PyTorch runs the same input (in float64) and the relative error max|eps_torch - eps_qdiff| /
max|eps_qdiff| must be at most --tol (default 1e-4; float32 vs float64 is about 1e-6).
--self-test: trains tiny paper-arch models with `qdiff train` (classical and none bottlenecks),
exports EMA and raw weights with probes, and checks them all; exit status 0 when every check
passes. Run by ctest when PyTorch is installed (tests: torch_safetensors_loader).
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from torch_reference_unet import UNet  # noqa: E402


def read_safetensors(path):
    """Returns ({name: np.ndarray float32}, {metadata key: string})."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: too short for safetensors")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        raise ValueError(f"{path}: header length {n} runs past the end of the file")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    buf = memoryview(raw)[8 + n:]
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        if info["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name} has dtype {info['dtype']}, expected F32")
        b, e = info["data_offsets"]
        a = np.frombuffer(buf[b:e], dtype="<f4").reshape(info["shape"])
        tensors[name] = a.copy()
    return tensors, meta


def load_qdiff_unet(path, dtype=torch.float64):
    """The reference U-Net with the file's weights, in eval mode, in `dtype`."""
    tensors, meta = read_safetensors(path)
    config = json.loads(meta["config"])
    arch, bottleneck = config["model"]["arch"], config["model"]["bottleneck"]
    if arch != "paper":
        raise SystemExit(f"{path}: model.arch is '{arch}'; the PyTorch reference module is the paper arch only")
    if bottleneck == "classical":
        hidden = tensors["bottleneck.fc1.weight"].shape[0]
    elif bottleneck == "none":
        hidden = 0
    else:
        raise SystemExit(f"{path}: model.bottleneck is '{bottleneck}'; the reference module has classical and none only")
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)  # the reference's time embedding follows the default dtype
    try:
        net = UNet(int(meta["in_channels"]), hidden)
    finally:
        torch.set_default_dtype(previous)
    state = {k: torch.from_numpy(v).to(dtype) for k, v in tensors.items()}
    net.load_state_dict(state, strict=True)
    return net.eval(), meta


def compare_with_probe(weights, probe, tol):
    """Runs the probe's x, t through PyTorch; returns (relative error, passed)."""
    net, meta = load_qdiff_unet(weights)
    p, _ = read_safetensors(probe)
    prev = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        with torch.no_grad():
            eps = net(torch.from_numpy(p["x"]).to(torch.float64), torch.from_numpy(p["t"]).to(torch.int64))
    finally:
        torch.set_default_dtype(prev)
    ref = torch.from_numpy(p["eps"]).to(torch.float64)
    rel = float((eps - ref).abs().max() / ref.abs().max())
    n = sum(v.numel() for v in net.state_dict().values())
    print(f"{weights}: {meta.get('weights', '?')} weights, {n:,} parameters, bottleneck "
          f"{json.loads(meta['config'])['model']['bottleneck']}, qdiff {meta.get('qdiff_version', '?')}; "
          f"PyTorch vs qdiff on {probe}: relative error {rel:.2e} (tolerance {tol:g})")
    return rel, rel <= tol


def run(cmd, cwd):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}{r.stderr}")


def self_test(qdiff, tol):
    repo = os.path.dirname(HERE)
    ok = True
    with tempfile.TemporaryDirectory(prefix="qdiff-torch-") as tmp:
        for bottleneck in ("classical", "none"):
            out = os.path.join(tmp, bottleneck)
            sets = ["model.arch=paper", f"model.bottleneck={bottleneck}", "data.n=4", "train.steps=3",
                    "train.batch=2", "train.ckpt_every=0", "train.ema_warmup=false", "train.ema_decay=0.5",
                    "sample.n=1", "sample.steps=1", "diffusion.T=50"]
            cmd = [qdiff, "train", "--config", os.path.join(repo, "configs", "smoke.json"), "--out", out]
            for s in sets:
                cmd += ["--set", s]
            run(cmd, repo)
            outputs = {}
            for kind, extra in (("ema", []), ("raw", ["--raw"])):
                w, p = os.path.join(tmp, f"{bottleneck}_{kind}.safetensors"), os.path.join(tmp, f"{bottleneck}_{kind}_probe.safetensors")
                run([qdiff, "export", "--ckpt", os.path.join(out, "model.bin"), "--out", w, "--probe", p] + extra, repo)
                _, passed = compare_with_probe(w, p, tol)
                ok &= passed
                outputs[kind] = read_safetensors(p)[0]["eps"]
            if np.array_equal(outputs["ema"], outputs["raw"]):
                print(f"{bottleneck}: EMA and raw exports give the same output: the weights did not differ")
                ok = False
    print("self-test", "passed" if ok else "FAILED")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("weights", nargs="?", help="model.safetensors from `qdiff export`")
    ap.add_argument("--probe", help="probe.safetensors from `qdiff export --probe`")
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--self-test", action="store_true", help="train, export and check tiny models with --qdiff")
    ap.add_argument("--qdiff", default=os.path.join(os.path.dirname(HERE), "build", "qdiff"), help="the qdiff binary")
    args = ap.parse_args()
    if args.self_test:
        sys.exit(0 if self_test(os.path.abspath(args.qdiff), args.tol) else 1)
    if not args.weights:
        ap.error("give a .safetensors file or --self-test")
    if args.probe:
        sys.exit(0 if compare_with_probe(args.weights, args.probe, args.tol)[1] else 1)
    net, meta = load_qdiff_unet(args.weights)
    print(f"loaded {args.weights} into the reference U-Net: {sum(p.numel() for p in net.parameters()):,} parameters; "
          f"metadata keys {sorted(meta)}")


if __name__ == "__main__":
    main()
