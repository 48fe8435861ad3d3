#!/usr/bin/env python3
"""Writes the small seed corpus of the libFuzzer targets into tests/fuzz/corpus/<target>/.

Python's standard library only (struct, zipfile, gzip, zlib, json): a few valid files per
reader, small enough to keep the committed corpus far under 200 KB. Rerun after a format change:
    python3 tests/fuzz/make_corpus.py
"""
import gzip
import io
import json
import os
import struct
import zipfile
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def npy(descr, shape, payload, major=1):
    shape_text = "(" + "".join(f"{d}, " for d in shape).rstrip(" ")
    shape_text = shape_text[:-1] + ")" if len(shape) > 1 else shape_text + ")"
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_text}, }}"
    pre = 10 if major == 1 else 12
    total = (pre + len(header) + 1 + 63) // 64 * 64
    header = header + " " * (total - pre - len(header) - 1) + "\n"
    size = struct.pack("<H", len(header)) if major == 1 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes([major, 0]) + size + header.encode() + payload


def write(target, name, data):
    os.makedirs(os.path.join(ROOT, target), exist_ok=True)
    with open(os.path.join(ROOT, target, name), "wb") as f:
        f.write(data)


def main():
    u1 = npy("|u1", (2, 3), bytes(range(6)))
    f4 = npy("<f4", (3,), struct.pack("<3f", 0.0, 0.5, 1.0))
    write("npy", "u1_2x3.npy", u1)
    write("npy", "f4_3.npy", f4)
    write("npy", "i4_big_endian.npy", npy(">i4", (2,), struct.pack(">2i", 1, -2)))
    write("npy", "bool_v2.npy", npy("|b1", (4,), bytes([0, 1, 2, 0]), major=2))
    write("npy", "f8_scalar_v3.npy", npy("<f8", (), struct.pack("<d", 3.5), major=3))

    for name, method in (("stored.npz", zipfile.ZIP_STORED), ("deflated.npz", zipfile.ZIP_DEFLATED)):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", method) as z:
            z.writestr("train_images.npy", npy("|u1", (2, 2, 2), bytes(range(8))))
            z.writestr("train_labels.npy", npy("<i8", (2, 1), struct.pack("<2q", 0, 1)))
        write("npz", name, buf.getvalue())

    idx = b"\x00\x00\x08\x03" + struct.pack(">3I", 2, 2, 2) + bytes(range(8))
    write("idx", "u8-idx3-ubyte", idx)
    write("idx", "u8-idx3-ubyte.gz", gzip.compress(idx, mtime=0))
    write("idx", "f32-idx1-ubyte", b"\x00\x00\x0d\x01" + struct.pack(">I", 2) + struct.pack(">2f", 0.25, -1.0))
    write("idx", "i32-idx1-ubyte.gz", gzip.compress(b"\x00\x00\x0c\x01" + struct.pack(">I", 1) + struct.pack(">i", 7), mtime=0))

    with open(os.path.join(os.path.dirname(ROOT), "..", "..", "configs", "smoke.json"), "rb") as f:
        write("config", "smoke.json", f.read())
    write("config", "sets.txt", b"train.lr=0.001\nmodel.bottleneck=classical\ndata.classes=[3,5]\ntrain.steps=1e3\n")
    write("config", "sections.json", json.dumps({"quantum": {"n_qubits": 4, "ansatz": "strong"},
                                                 "sample": {"eta": 0.5, "clip_x0": False}}).encode())

    # A checkpoint of the fuzz target's tiny model (w [2,3], b [3]) with EMA and Adam state.
    def body():
        out = b""
        for text in (json.dumps({"model": {"arch": "paper"}}), json.dumps({"step": 3, "ema_updates": 3, "adam_steps": 3})):
            out += struct.pack("<Q", len(text)) + text.encode()
        tensors = []
        for prefix in ("param/", "ema/", "adam.m/", "adam.v/"):
            tensors += [(prefix + "w", (2, 3)), (prefix + "b", (3,))]
        out += struct.pack("<I", len(tensors))
        for name, shape in tensors:
            n = 1
            for d in shape:
                n *= d
            out += struct.pack("<I", len(name)) + name.encode() + struct.pack("<I", len(shape))
            out += b"".join(struct.pack("<q", d) for d in shape) + struct.pack("<I", 0)
            out += struct.pack("<Q", 4 * n) + struct.pack(f"<{n}f", *[0.1 * i for i in range(n)])
        blob = json.dumps({"kind": "gaussian"}).encode()
        out += struct.pack("<I", 1) + struct.pack("<I", 11) + b"noise_state" + struct.pack("<Q", len(blob)) + blob
        return out

    b = body()
    whole = b"QDIFFCKP" + struct.pack("<IIQ", 1, 0, len(b)) + b
    whole += struct.pack("<I", zlib.crc32(whole))
    write("checkpoint", "tiny.bin", whole)
    write("checkpoint", "tiny_body", b"\x01" + b)  # odd first byte: the target wraps the body


if __name__ == "__main__":
    main()
