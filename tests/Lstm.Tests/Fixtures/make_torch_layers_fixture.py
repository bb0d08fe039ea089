#!/usr/bin/env python3
"""Makes torch-layers.safetensors for TorchStateDictTests (run once with Debian's python3-torch; not run by CI).

For a GRU and a bidirectional LSTM (batch_first, one layer, random weights), PyTorch's outputs y for random inputs x
and the input gradient dx of L = sum(y * dy) for a random dy, with the layer's weights under PyTorch's names
(weight_ih_l0, ..., and *_reverse for the backward direction), each prefixed by "gru." or "bilstm.".
Usage: /usr/bin/python3 make_torch_layers_fixture.py
"""
import json, struct
import torch
import torch.nn as nn

torch.manual_seed(11)
N, T, D, H = 2, 5, 3, 4
tensors = {}
for name, layer in (("gru", nn.GRU(D, H, batch_first=True)),
                    ("bilstm", nn.LSTM(D, H, batch_first=True, bidirectional=True))):
    with torch.no_grad():
        for p in layer.parameters():
            p.uniform_(-0.6, 0.6)
    x = torch.empty(N, T, D).uniform_(-1, 1).requires_grad_(True)
    y, _ = layer(x)
    dy = torch.empty_like(y).uniform_(-1, 1)
    (y * dy).sum().backward()
    for key, value in layer.state_dict().items():
        tensors[f"{name}.{key}"] = value
    tensors[f"{name}.x"], tensors[f"{name}.y"], tensors[f"{name}.dy"], tensors[f"{name}.dx"] = x.detach(), y.detach(), dy, x.grad

header, offset, blobs = {"__metadata__": {"torch": torch.__version__}}, 0, []
for name, value in tensors.items():
    data = value.detach().contiguous().numpy().astype('<f4').tobytes()
    header[name] = {"dtype": "F32", "shape": list(value.shape), "data_offsets": [offset, offset + len(data)]}
    offset += len(data)
    blobs.append(data)
raw = json.dumps(header).encode()
raw += b' ' * ((8 - len(raw) % 8) % 8)
with open("torch-layers.safetensors", "wb") as f:
    f.write(struct.pack('<Q', len(raw)))
    f.write(raw)
    for blob in blobs:
        f.write(blob)
print("wrote", len(tensors), "tensors")
