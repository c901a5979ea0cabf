#!/usr/bin/env python3
"""One cross-entropy epoch of the Show-and-Tell captioner in PyTorch, for `caption bench train --pytorch`.

The same model, shapes and batch as `caption train captioner` on Flickr8k: the image vector (F = 1024,
mean+max pooled pool5) projected to E = 512 and fed at step 0, then <start> and the words through a
512-wide embedding; an LSTM with H = 512; dropout 0.5 on every step input and on h before the output
layer; logits over V = 2540 words; mean cross-entropy over every scored token (the words and <end>);
global-norm clipping at 5; Adam at 1e-3; batch 100; 300 steps = 30,000 captions = one epoch.
Captions have Flickr8k's train lengths (cut at 16 words) and run packed (pack_padded_sequence), so
like ours no step is computed past a caption's end. Synthetic data: the time does not depend on it.

    python3 bench/pytorch_train.py [--steps 300] [--threads 2]

prints seconds per epoch (timed steps scaled to 300) after 3 warm-up steps.
"""
import argparse
import time

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence

# Flickr8k train captions by length in words (16 includes the longer ones, cut): 30,000 in all.
LENGTHS = {2: 15, 3: 125, 4: 340, 5: 854, 6: 1948, 7: 2501, 8: 2917, 9: 3318, 10: 3310,
           11: 3134, 12: 2772, 13: 2332, 14: 1864, 15: 1338, 16: 3232}
V, E, H, F, BATCH, STEPS_PER_EPOCH = 2540, 512, 512, 1024, 100, 300
START, FIRST_WORD = 1, 3


class Captioner(nn.Module):
    def __init__(self):
        super().__init__()
        self.image = nn.Linear(F, E)
        self.embed = nn.Embedding(V, E)
        self.lstm = nn.LSTM(E, H, batch_first=True)
        self.drop = nn.Dropout(0.5)
        self.logits = nn.Linear(H, V)
        for p in self.parameters():
            nn.init.uniform_(p, -0.08, 0.08)

    def forward(self, features, inputs, steps):
        # [B, 1 + T, E]: the image step, then <start> and the words.
        x = torch.cat([self.image(features).unsqueeze(1), self.embed(inputs)], dim=1)
        packed = pack_padded_sequence(self.drop(x), steps, batch_first=True, enforce_sorted=True)
        out, _ = self.lstm(packed)
        # Scored rows are every step after the image step: drop each caption's first row.
        h = out.data[steps.size(0):]          # packed data is step-major; step 0 holds B rows
        return self.logits(self.drop(h))


def batch(generator):
    lengths = torch.tensor(list(LENGTHS.keys()))
    weights = torch.tensor(list(LENGTHS.values()), dtype=torch.float)
    words = lengths[torch.multinomial(weights, BATCH, replacement=True, generator=generator)]
    words, _ = words.sort(descending=True)
    t = int(words[0]) + 1
    inputs = torch.randint(FIRST_WORD, V, (BATCH, t), generator=generator)
    inputs[:, 0] = START
    targets = torch.randint(FIRST_WORD, V, (BATCH, t + 1), generator=generator)
    steps = words + 2                          # image, <start>, L words: L + 1 scored tokens
    features = torch.rand(BATCH, F, generator=generator) * 2 - 1
    # Targets in packed (step-major) order, without the image step.
    packed_targets = pack_padded_sequence(targets, steps, batch_first=True).data[BATCH:]
    return features, inputs, steps, packed_targets


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=STEPS_PER_EPOCH, help="timed steps (scaled to an epoch)")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = Captioner()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(2)
    batches = [batch(generator) for _ in range(8)]

    def step(i):
        features, inputs, steps, targets = batches[i % len(batches)]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(features, inputs, steps), targets)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        return loss.item()

    for i in range(3):
        step(i)
    start = time.perf_counter()
    for i in range(args.steps):
        step(i)
    seconds = (time.perf_counter() - start) / args.steps
    print(f"PyTorch {torch.__version__}, {args.threads} threads: {seconds * 1000:.1f} ms/step, "
          f"{seconds * STEPS_PER_EPOCH:.1f} s per epoch ({STEPS_PER_EPOCH} steps of {BATCH})")


if __name__ == "__main__":
    main()
