"""Closed-form baselines for the sequence families' test figures, on the ETT-style split.

    python3 bench/sequence/baselines.py --csv ETTh1.csv --input-length 336 --horizons 96,192 \
        --train-end 8640 --validation-end 11520 --test-end 14400

The CSV has a `date` column, then numeric channels (read with the csv module). Each channel is z-scored
with the mean and population standard deviation of rows [0, train_end), as scikit-learn's StandardScaler
does in the reference pipelines, and every figure is on that standardised scale. Test windows are those
whose forecast rows fall inside [validation_end, test_end): starts validation_end − L .. test_end − L − H.

Two baselines, their MSE and MAE averaged over all test windows, steps and channels:
- linear: one linear map from the L past values to the H future values plus a bias, shared by all
  channels and applied to each channel alone (the "Linear" of Zeng et al., AAAI 2023, "Are Transformers
  Effective for Time Series Forecasting?", though fitted in closed form rather than by gradient descent):
  least squares over the training windows (starts 0 .. train_end − L − H, every channel a row), solved
  by torch.linalg.lstsq in float64 — a QR solve rather than normal equations, whose squared condition
  number would cost digits on 336 strongly correlated lags;
- last_value: the last input value repeated over the horizon (their "Repeat").

Prints one JSON line per horizon:
{"horizon": 96, "linear": {"mse": ..., "mae": ...}, "last_value": {"mse": ..., "mae": ...}, "test_windows": ...}
"""
import argparse
import csv
import json

import torch


def load_series(path):
    """The CSV's numeric columns (all but the first) as a float64 tensor [steps, channels]."""
    with open(path, newline="") as handle:
        rows = csv.reader(handle)
        next(rows)
        return torch.tensor([[float(value) for value in row[1:]] for row in rows], dtype=torch.float64)


def windows(scaled, starts, length, horizon):
    """Channel-independent windows: inputs [windows·channels, L] and targets [windows·channels, H]."""
    rows = starts.view(-1, 1)
    inputs = scaled[rows + torch.arange(length)].transpose(1, 2).reshape(-1, length)
    targets = scaled[rows + torch.arange(length, length + horizon)].transpose(1, 2).reshape(-1, horizon)
    return inputs, targets


def with_bias(inputs):
    return torch.cat([inputs, torch.ones(inputs.shape[0], 1, dtype=inputs.dtype)], dim=1)


def errors(forecast, targets):
    difference = forecast - targets
    return {"mse": difference.square().mean().item(), "mae": difference.abs().mean().item()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--csv", required=True)
    parser.add_argument("--input-length", type=int, default=336)
    parser.add_argument("--horizons", default="96,192", help="comma-separated")
    parser.add_argument("--train-end", type=int, default=8640)
    parser.add_argument("--validation-end", type=int, default=11520)
    parser.add_argument("--test-end", type=int, default=14400)
    args = parser.parse_args()

    series = load_series(args.csv)
    if args.test_end > len(series):
        raise SystemExit(f"--test-end {args.test_end} is past the {len(series)} rows of {args.csv}")
    train = series[: args.train_end]
    scaled = (series - train.mean(dim=0)) / train.std(dim=0, unbiased=False)
    length = args.input_length

    for horizon in (int(h) for h in args.horizons.split(",")):
        train_inputs, train_targets = windows(scaled, torch.arange(args.train_end - length - horizon + 1), length, horizon)
        weights = torch.linalg.lstsq(with_bias(train_inputs), train_targets).solution  # [L + 1, H]
        test_starts = torch.arange(args.validation_end - length, args.test_end - length - horizon + 1)
        test_inputs, test_targets = windows(scaled, test_starts, length, horizon)
        print(
            json.dumps(
                {
                    "horizon": horizon,
                    "linear": errors(with_bias(test_inputs) @ weights, test_targets),
                    "last_value": errors(test_inputs[:, -1:].expand(-1, horizon), test_targets),
                    "test_windows": len(test_starts),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
