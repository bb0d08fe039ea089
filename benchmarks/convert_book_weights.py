#!/usr/bin/env python3
"""Converts the book's pretrained chapter-6 Rnnlm (../shared/data/book-weights/Rnnlm.pkl, six float16 arrays) into a
checkpoint of this library, with the book's PTB vocabulary, so `lstm eval` and `lstm generate` can use it.

A pickle can run code when loaded: this one is read with an unpickler that only builds NumPy arrays.
usage: /usr/bin/python3 benchmarks/convert_book_weights.py PKL PTB_TRAIN OUT.safetensors
"""
import json, os, pickle, struct, sys, tempfile
import numpy as np

ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
           ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar")}

class ArraysOnly(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) not in ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not a NumPy array class")
        return super().find_class(module, name)

pkl, train, out = sys.argv[1:4]
with open(pkl, "rb") as f:
    params = ArraysOnly(f).load()
names = ["embed.W", "lstm0.Wx", "lstm0.Wh", "lstm0.b", "affine.W", "affine.b"]
arrays = [np.ascontiguousarray(p, dtype=np.float32) for p in params]
V, D = arrays[0].shape
H = arrays[2].shape[0]

# The book's vocabulary: ids in order of first appearance, <eos> at every line end.
words, seen = [], set()
with open(train, encoding="utf-8") as f:
    for line in f:
        for w in line.split() + ["<eos>"]:
            if w not in seen:
                seen.add(w); words.append(w)
assert len(words) == V, (len(words), V)

config = {"vocabulary_size": int(V), "embedding_size": int(D), "hidden_size": int(H), "layers": 1, "dropout": 0,
          "tie_weights": False, "cell": "Lstm"}
header = {"__metadata__": {"format": "lstm.model/2", "kind": "rnnlm", "config": json.dumps(config, separators=(",", ":")),
                           "vocabulary": json.dumps(words, separators=(",", ":")), "token_level": "word"}}
offset = 0
for name, a in zip(names, arrays):
    header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
    offset += a.nbytes
blob = json.dumps(header, separators=(",", ":")).encode()
blob += b" " * (-len(blob) % 8)
fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(out)))
with os.fdopen(fd, "wb") as f:
    f.write(struct.pack("<Q", len(blob))); f.write(blob)
    for a in arrays:
        f.write(a.astype("<f4").tobytes())
os.replace(tmp, out)
print(f"wrote {out}: V={V} D={D} H={H}")
