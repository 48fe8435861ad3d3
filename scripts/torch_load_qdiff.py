#!/usr/bin/python3
"""Load qdiff weights (`qdiff export --out model.safetensors`) into the PyTorch reference U-Net
(scripts/torch_reference_unet.py) and check that PyTorch gives qdiff's output.

    /usr/bin/python3 scripts/torch_load_qdiff.py model.safetensors [--probe probe.safetensors]
    /usr/bin/python3 scripts/torch_load_qdiff.py --self-test --qdiff build/qdiff

As a library:
    sys.path.insert(0, "scripts"); from torch_load_qdiff import load_qdiff_unet
    net, meta = load_qdiff_unet("model.safetensors")   # torch.nn.Module in eval mode, dict of strings
    eps = net(x, t)                                    # x: [B,C,28,28], t: [B] int64

Supported: the paper arch ("model.arch": "paper") with any bottleneck: classical, none, or
quantum (a differentiable complex128 statevector of qdiff's circuit, every ansatz and entangler,
pool or linear reduce; exact <Z> only, so quantum.shots must be 0). The parameter names in the
file are qdiff's registry names, which the reference module uses as its own, so loading is strict
(load_state_dict(strict=True): a missing, extra or misshapen tensor is an error).

The safetensors file is parsed here with json + struct + numpy (no `safetensors` package needed):
8-byte little-endian header length, JSON header, raw little-endian F32 tensors.

--probe: a file from `qdiff export --probe` holding a fixed input x, t and qdiff's output eps;
PyTorch runs the same input (in float64) and the relative error max|eps_torch - eps_qdiff| /
max|eps_qdiff| must be at most --tol (default 1e-4; float32 vs float64 is about 1e-6).
--self-test: trains tiny paper-arch models with `qdiff train` (classical, none, and quantum
bottlenecks with the default, strong and paper ansatzes, ring and all entanglers, pool and linear
reduce), exports EMA and raw weights with probes, and checks them all; exit status 0 when every
check passes. Run by ctest when PyTorch is installed (tests: torch_safetensors_loader).
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

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


def _ry(a):  # [...] -> [...,2,2], exp(-i a/2 Y)
    c, s = torch.cos(a / 2), torch.sin(a / 2)
    return torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2).to(torch.complex128)


def _rz(a):  # exp(-i a/2 Z)
    e = torch.exp(-0.5j * a.to(torch.complex128))
    z = torch.zeros_like(e)
    return torch.stack([torch.stack([e, z], -1), torch.stack([z, e.conj()], -1)], -2)


class Circuit(nn.Module):
    """qdiff's bottleneck circuit (src/quantum/ansatz.cpp) as a differentiable statevector in
    complex128: RY(angle_q) on |0...0>, then per layer the ansatz's rotations on every qubit
    (default: RZ(w) then RY(w'); paper: RZ(w); strong: Rot = RZ(w'') RY(w') RZ(w)) and the
    entangler's CNOTs (chain, ring, all; strong uses a ring of range layer % (n-1) + 1); read-out
    <Z_q> for every qubit. Weight of layer l, qubit q, rotation k: weight[(l*n + q)*per + k]."""

    PER = {"default": 2, "paper": 1, "strong": 3}

    def __init__(self, n, layers, ansatz, entangler):
        super().__init__()
        self.n, self.layers, self.ansatz, self.entangler = n, layers, ansatz, entangler
        self.weight = nn.Parameter(torch.zeros(n * layers * self.PER[ansatz]))

    def pairs(self, layer):
        n = self.n
        if n < 2:
            return []
        if self.entangler == "all":
            return [(i, j) for i in range(n) for j in range(i + 1, n)]
        if self.entangler == "ring" and self.ansatz == "strong":
            r = layer % (n - 1) + 1
            return [(q, (q + r) % n) for q in range(n)]
        pairs = [(q, q + 1) for q in range(n - 1)]
        return pairs + [(n - 1, 0)] if self.entangler == "ring" and n > 2 else pairs

    def gate(self, psi, q, m):  # psi: [B, 2,...,2] (axis 1 + q = qubit q); m: [2,2] or [B,2,2]
        psi = psi.movedim(1 + q, -1)
        psi = torch.einsum("b...j,bij->b...i", psi, m.expand(psi.shape[0], 2, 2))
        return psi.movedim(-1, 1 + q)

    def cnot(self, psi, c, t):
        flipped = psi.flip(1 + t)
        idx = [slice(None)] * psi.dim()
        idx[1 + c] = 1
        out = psi.clone()
        out[tuple(idx)] = flipped[tuple(idx)]
        return out

    def forward(self, angles):  # angles: [B, n] -> <Z>: [B, n]
        B, n, w, per = angles.shape[0], self.n, self.weight, self.PER[self.ansatz]
        psi = torch.zeros((B,) + (2,) * n, dtype=torch.complex128)
        psi[(slice(None),) + (0,) * n] = 1
        for q in range(n):
            psi = self.gate(psi, q, _ry(angles[:, q]))
        for layer in range(self.layers):
            for q in range(n):
                k = (layer * n + q) * per
                if self.ansatz == "default":
                    psi = self.gate(self.gate(psi, q, _rz(w[k])), q, _ry(w[k + 1]))
                elif self.ansatz == "paper":
                    psi = self.gate(psi, q, _rz(w[k]))
                else:
                    psi = self.gate(psi, q, _rz(w[k + 2]) @ _ry(w[k + 1]) @ _rz(w[k]))
            for c, t in self.pairs(layer):
                psi = self.cnot(psi, c, t)
        prob = (psi.conj() * psi).real
        z = [prob.select(1 + q, 0).reshape(B, -1).sum(1) - prob.select(1 + q, 1).reshape(B, -1).sum(1) for q in range(n)]
        return torch.stack(z, 1).to(angles.dtype)


class QuantumBranch(nn.Module):
    """pooled [B,128] -> reduce to n qubits (adaptive average pool, or Linear "reduce") ->
    angles = pi * sigmoid -> Circuit -> Linear "readout" (n -> 128): qdiff's quantum bottleneck
    (src/hybrid/quantum_branch.cpp) with exact <Z> (no shots)."""

    def __init__(self, quantum, c=128):
        super().__init__()
        n = quantum["n_qubits"]
        self.n = n
        self.reduce = nn.Linear(c, n) if quantum["reduce"] == "linear" else None
        self.circuit = Circuit(n, quantum["n_layers"], quantum["ansatz"], quantum["entangler"])
        self.readout = nn.Linear(n, c)

    def forward(self, p):
        r = self.reduce(p) if self.reduce is not None else F.adaptive_avg_pool1d(p[:, None, :], self.n)[:, 0, :]
        return self.readout(self.circuit(math.pi * torch.sigmoid(r)))


def load_qdiff_unet(path, dtype=torch.float64):
    """The reference U-Net with the file's weights, in eval mode, in `dtype`."""
    tensors, meta = read_safetensors(path)
    config = json.loads(meta["config"])
    arch, bottleneck = config["model"]["arch"], config["model"]["bottleneck"]
    if arch != "paper":
        raise SystemExit(f"{path}: model.arch is '{arch}'; the PyTorch reference module is the paper arch only")
    if bottleneck == "quantum" and config["quantum"].get("shots", 0) != 0:
        raise SystemExit(f"{path}: quantum.shots = {config['quantum']['shots']}: finite-shot read-out is random; "
                         "only exact <Z> (shots = 0) is reproduced here")
    hidden = tensors["bottleneck.fc1.weight"].shape[0] if bottleneck == "classical" else 0
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)  # the reference's time embedding follows the default dtype
    try:
        branch = QuantumBranch(config["quantum"]) if bottleneck == "quantum" else None
        net = UNet(int(meta["in_channels"]), hidden, branch)
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
        variants = {"classical": ["model.bottleneck=classical"], "none": ["model.bottleneck=none"],
                    "quantum": ["model.bottleneck=quantum", "quantum.n_layers=2"],
                    "quantum_strong": ["model.bottleneck=quantum", "quantum.ansatz=strong", "quantum.n_layers=3",
                                       "quantum.reduce=linear", "quantum.n_qubits=3"],
                    "quantum_paper_all": ["model.bottleneck=quantum", "quantum.ansatz=paper", "quantum.entangler=all"]}
        for bottleneck, variant in variants.items():
            out = os.path.join(tmp, bottleneck)
            sets = variant + ["model.arch=paper", "data.n=4", "train.steps=3", "train.batch=2", "train.ckpt_every=0",
                              "train.ema_warmup=false", "train.ema_decay=0.5", "sample.n=1", "sample.steps=1",
                              "diffusion.T=50"]
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
