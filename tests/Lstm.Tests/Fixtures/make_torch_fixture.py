#!/usr/bin/env python3
"""Makes the PyTorch golden fixtures of TorchStateDictTests (run once with Debian's python3-torch; not run by CI).

A model in the layout of PyTorch's word-language-model example (nn.Embedding -> nn.LSTM or nn.GRU -> nn.Linear), with
random weights, is saved as safetensors (torch-lm.safetensors; torch-gru-lm.safetensors for the GRU). PyTorch then
computes, on the token stream in torch-lm.json (torch-gru-lm.json):
- the perplexity under the book's evaluation (batch 10, T 35, jump = (len-1)//10, state carried between windows);
- the weights after K SGD steps with the book's batching (N rows from offsets i*(len(xs)//N), global time index),
  clipping by global norm and lr, with bias_hh zeroed and frozen so that the single-bias model is matched
  (torch-lm-after-sgd.safetensors). For the GRU only the r and z parts of bias_hh are frozen: its n part is b_hn,
  a parameter of its own in this library.
Usage: /usr/bin/python3 make_torch_fixture.py [lstm|gru]
"""
import json, math, struct, sys
import numpy as np
import torch
import torch.nn as nn

CELL = sys.argv[1] if len(sys.argv) > 1 else "lstm"
PREFIX = "torch-lm" if CELL == "lstm" else "torch-gru-lm"
torch.manual_seed(7)
V, D, H, L = 13, 6, 6, 2
N, T, K, LR, CLIP = 4, 5, 3, 0.5, 0.25


class LM(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Embedding(V, D)
        self.rnn = (nn.LSTM if CELL == "lstm" else nn.GRU)(D, H, num_layers=L, batch_first=True)
        self.decoder = nn.Linear(H, V)

    def forward(self, x, state):
        y, state = self.rnn(self.encoder(x), state)
        return self.decoder(y), state


def save(path, model):
    tensors = {k: v.detach().contiguous().numpy().astype('<f4') for k, v in model.state_dict().items()}
    header, offset, blobs = {}, 0, []
    for name, array in tensors.items():
        data = array.tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    raw = json.dumps(header).encode()
    raw += b' ' * ((8 - len(raw) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(raw)))
        f.write(raw)
        for blob in blobs:
            f.write(blob)


model = LM()
with torch.no_grad():
    for p in model.parameters():
        p.uniform_(-0.5, 0.5)
    for k in range(L):
        # The LSTM's bias_hh is summed away on import; the GRU keeps the n part, b_hn, as a parameter of its own.
        getattr(model.rnn, f'bias_hh_l{k}')[:(4 if CELL == "lstm" else 2) * H].zero_()
save(f'{PREFIX}.safetensors', model)

rng = np.random.RandomState(3)
corpus = [int(t) for t in rng.randint(0, V, size=420)]

# The book's eval_perplexity.
model.eval()
with torch.no_grad():
    bs, ts_ = 10, 35
    size = len(corpus)
    windows, jump = (size - 1) // (bs * ts_), (size - 1) // bs
    state, total = None, 0.0
    for w in range(windows):
        xs = np.empty((bs, ts_), dtype=np.int64)
        tt = np.empty((bs, ts_), dtype=np.int64)
        for t in range(ts_):
            for i in range(bs):
                off = w * ts_ + i * jump + t
                xs[i, t] = corpus[off % size]
                tt[i, t] = corpus[(off + 1) % size]
        out, state = model(torch.from_numpy(xs), state)
        total += nn.functional.cross_entropy(out.reshape(-1, V), torch.from_numpy(tt).reshape(-1)).item()
    perplexity = math.exp(total / windows)

# K SGD steps with the book's batching (RnnlmTrainer.get_batch) and clipping.
model.train()
for k in range(L):
    bias_hh = getattr(model.rnn, f'bias_hh_l{k}')
    if CELL == "lstm":
        bias_hh.requires_grad_(False)
    else:
        mask = torch.zeros_like(bias_hh)
        mask[2 * H:] = 1
        bias_hh.register_hook(lambda g, mask=mask: g * mask)
opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=LR)
xs_all, ts_all = corpus[:-1], corpus[1:]
size = len(xs_all)
jump = size // N
time_idx, state = 0, None
for step in range(K):
    bx = np.empty((N, T), dtype=np.int64)
    bt = np.empty((N, T), dtype=np.int64)
    for t in range(T):
        for i in range(N):
            bx[i, t] = xs_all[(i * jump + time_idx) % size]
            bt[i, t] = ts_all[(i * jump + time_idx) % size]
        time_idx += 1
    if state is not None:
        state = tuple(s.detach() for s in state) if CELL == "lstm" else state.detach()
    opt.zero_grad()
    out, state = model(torch.from_numpy(bx), state)
    loss = nn.functional.cross_entropy(out.reshape(-1, V), torch.from_numpy(bt).reshape(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], CLIP)
    opt.step()
save(f'{PREFIX}-after-sgd.safetensors', model)

with open(f'{PREFIX}.json', 'w') as f:
    json.dump({"corpus": corpus, "perplexity": perplexity, "batch": N, "time": T, "steps": K, "lr": LR, "clip": CLIP,
               "torch": torch.__version__}, f)
print("perplexity", perplexity)
