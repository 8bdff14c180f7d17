"""The bare PyTorch training loop that the sequence plugins' training throughput is compared with.

    python3 bench/sequence/minimal_loop.py --network src/plugins/patchtst/network.py --config '{}' \
        --csv ETTh1.csv --input-length 336 --horizon 96 --batch-size 128 --threads 2 --steps 60 \
        --learning-rate 1e-4 --loss mse

No Kybernet around it: the CSV (a `date` column, then numeric channels) is read with the csv module,
z-scored per channel on the training rows [0, --train-end) (ETTh1's 12 months by default), windows
start at 0..train_end − L − H, all channels are inputs and targets, and the network module is the
family's own network.py, imported by path. --steps Adam steps run on shuffled batches (seeded); the
first 5 are warm-up and untimed. Prints one JSON line:
{"windows_per_second": ..., "steps": ..., "seconds": ..., "threads": ...}, plus the first and last
timed batch losses so a run also shows that it learns.
"""
import argparse
import csv
import importlib.util
import json
import time

import torch

WARM_UP_STEPS = 5


def load_series(path):
    """The CSV's numeric columns (all but the first) as a float32 tensor [steps, channels]."""
    with open(path, newline="") as handle:
        rows = csv.reader(handle)
        next(rows)
        return torch.tensor([[float(value) for value in row[1:]] for row in rows], dtype=torch.float32)


def load_network_module(path):
    spec = importlib.util.spec_from_file_location("bench_network", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--network", required=True, help="path of a family's network.py")
    parser.add_argument("--config", default="{}", help="the family's hyperparameters as JSON")
    parser.add_argument("--csv", required=True)
    parser.add_argument("--input-length", type=int, default=336)
    parser.add_argument("--horizon", type=int, default=96)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=60, help="timed steps, after the warm-up ones")
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--loss", choices=["mse", "mae"], default="mse")
    parser.add_argument("--train-end", type=int, default=8640)
    parser.add_argument("--seed", type=int, default=2021)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(args.seed)

    series = load_series(args.csv)
    train = series[: args.train_end]
    # Population standard deviation, as scikit-learn's StandardScaler in the reference pipelines.
    scaled = (series - train.mean(dim=0)) / train.std(dim=0, unbiased=False)
    length, horizon = args.input_length, args.horizon
    starts = torch.arange(args.train_end - length - horizon + 1)
    input_offsets = torch.arange(length)
    target_offsets = torch.arange(length, length + horizon)
    channels = series.shape[1]

    network = load_network_module(args.network).build(json.loads(args.config), length, horizon, channels, list(range(channels)))
    network.train()
    optimizer = torch.optim.Adam(network.parameters(), lr=args.learning_rate)
    loss_function = torch.nn.MSELoss() if args.loss == "mse" else torch.nn.L1Loss()

    shuffle = torch.Generator().manual_seed(args.seed)
    order = torch.empty(0, dtype=torch.long)
    losses = []
    began = None
    for step in range(WARM_UP_STEPS + args.steps):
        if step == WARM_UP_STEPS:
            began = time.perf_counter()
        if len(order) < args.batch_size:  # a new epoch's shuffle; only full batches, so every step costs the same
            order = torch.cat([order, starts[torch.randperm(len(starts), generator=shuffle)]])
        batch, order = order[: args.batch_size], order[args.batch_size :]
        inputs = scaled[batch.view(-1, 1) + input_offsets]
        targets = scaled[batch.view(-1, 1) + target_offsets]
        optimizer.zero_grad()
        loss = loss_function(network(inputs), targets)
        loss.backward()
        optimizer.step()
        if step >= WARM_UP_STEPS:
            losses.append(loss.item())
    seconds = time.perf_counter() - began

    print(
        json.dumps(
            {
                "windows_per_second": args.steps * args.batch_size / seconds,
                "steps": args.steps,
                "seconds": seconds,
                "threads": torch.get_num_threads(),
                "batch_size": args.batch_size,
                "first_loss": losses[0] if losses else None,
                "last_loss": losses[-1] if losses else None,
            }
        )
    )


if __name__ == "__main__":
    main()
