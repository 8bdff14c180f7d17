"""The sequence families' training engine: PyTorch in a child process that plugins/base/sequence/engine.ts drives.

    python3 engine.py <job directory>

The directory holds `spec.json` (what to train; written by engine.ts, see EngineSpec there) and `series.f32`
(the series, steps × channels float32, row-major, on its original scale). The network comes from the
module named by spec["network"], whose `build(config, input_length, horizon, n_inputs, target_indexes)`
returns a module mapping standardised windows [N, L, C] to standardised forecasts [N, H, K].

Windows are cut here from the series by their start rows, never stored expanded. Training: Adam on the
chosen loss (mse or mae) over the standardised scale, shuffled training windows, early stopping on the
validation loss with the best epoch's weights kept. Determinism: seeded generators and
torch.use_deterministic_algorithms, so the same seed and data give the same weights.

What it writes into the directory: weights.pt (the network's state dict), model.onnx (the served graph:
scaling, network and unscaling in one, input "window" [N, L, C], output "forecast" [N, H, K], both on the
original scale), check_input.f32 / check_output.f32 (held-out windows and torch's forecasts of them, which
engine.ts compares with ONNX Runtime's), validation_forecast.f32 and test_forecast.f32 (forecasts of every
validation and test window, for the metrics).

On stdout, one JSON object per line: {"type": "epoch", ...} after each epoch, {"type": "done", ...} at the
end, {"type": "error", "message": ...} before exiting with status 1 on a failure.
"""
import importlib.util
import json
import math
import os
import sys
import time

import torch


def emit(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def load_network_module(path):
    spec = importlib.util.spec_from_file_location("kybernet_network", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Served(torch.nn.Module):
    """The graph that is served: raw windows in, raw forecasts out, the training scaling inside."""

    def __init__(self, network, mean, std, target_indexes):
        super().__init__()
        self.network = network
        self.register_buffer("mean_in", mean.view(1, 1, -1))
        self.register_buffer("std_in", std.view(1, 1, -1))
        self.register_buffer("mean_out", mean[target_indexes].view(1, 1, -1))
        self.register_buffer("std_out", std[target_indexes].view(1, 1, -1))

    def forward(self, window):
        return self.network((window - self.mean_in) / self.std_in) * self.std_out + self.mean_out


class Windows:
    """Windows of the standardised series by start row: inputs [N, L, C] and targets [N, H, K]."""

    def __init__(self, scaled, input_length, horizon, target_indexes):
        self.scaled = scaled
        self.input_length = input_length
        self.horizon = horizon
        self.target_indexes = torch.tensor(target_indexes, dtype=torch.long)
        self.input_offsets = torch.arange(input_length)
        self.target_offsets = torch.arange(input_length, input_length + horizon)

    def inputs(self, starts):
        return self.scaled[starts.view(-1, 1) + self.input_offsets]

    def targets(self, starts):
        return self.scaled[starts.view(-1, 1) + self.target_offsets][:, :, self.target_indexes]


def starts_of(split):
    first, end = split
    return torch.arange(first, end, dtype=torch.long)


def exit_if_orphaned(parent):
    """Its driver's process died (the training thread's process was killed): nobody will read the result."""
    if os.getppid() != parent:
        sys.exit(2)


def loss_function(name):
    return torch.nn.MSELoss() if name == "mse" else torch.nn.L1Loss()


def evaluate(network, windows, starts, loss, batch_size):
    """Mean loss over the windows (standardised scale); None without windows."""
    if len(starts) == 0:
        return None
    network.eval()
    total = 0.0
    with torch.no_grad():
        for batch in torch.split(starts, batch_size):
            total += loss(network(windows.inputs(batch)), windows.targets(batch)).item() * len(batch)
    return total / len(starts)


def forecast(served, series, starts, input_length, batch_size):
    """Raw-scale forecasts of the windows at `starts`, as one float32 array [N, H, K]."""
    if len(starts) == 0:
        return torch.zeros(0)
    offsets = torch.arange(input_length)
    parts = []
    served.eval()
    with torch.no_grad():
        for batch in torch.split(starts, batch_size):
            parts.append(served(series[batch.view(-1, 1) + offsets]))
    return torch.cat(parts) if parts else torch.zeros(0)


def train(directory):
    parent = os.getppid()
    with open(os.path.join(directory, "spec.json")) as handle:
        spec = json.load(handle)
    torch.set_num_threads(max(1, int(spec["threads"])))
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(spec["seed"])
    channels = spec["channels"]
    raw = torch.from_file(os.path.join(directory, "series.f32"), size=spec["steps"] * channels, dtype=torch.float32)
    series = raw.view(spec["steps"], channels).clone()
    mean = torch.tensor(spec["mean"], dtype=torch.float32)
    std = torch.tensor(spec["std"], dtype=torch.float32)
    scaled = (series - mean) / std
    target_indexes = spec["target_indexes"]
    input_length, horizon = spec["input_length"], spec["horizon"]
    windows = Windows(scaled, input_length, horizon, target_indexes)

    network = load_network_module(spec["network"]).build(spec["config"], input_length, horizon, channels, target_indexes)
    if spec.get("initial_weights"):
        network.load_state_dict(torch.load(spec["initial_weights"]))
    optimizer = torch.optim.Adam(network.parameters(), lr=spec["learning_rate"])
    loss = loss_function(spec["loss"])
    train_starts = starts_of(spec["splits"]["train"])
    validation_starts = starts_of(spec["splits"]["validation"])
    test_starts = starts_of(spec["splits"]["test"])
    batch_size = spec["batch_size"]
    shuffle = torch.Generator().manual_seed(spec["seed"])

    best_loss, best_epoch, best_state, stale = math.inf, 0, None, 0
    trained_windows, training_seconds, epochs_run = 0, 0.0, 0
    for epoch in range(1, spec["max_epochs"] + 1):
        began = time.perf_counter()
        network.train()
        order = train_starts[torch.randperm(len(train_starts), generator=shuffle)]
        total = 0.0
        for batch in torch.split(order, batch_size):
            exit_if_orphaned(parent)
            optimizer.zero_grad()
            batch_loss = loss(network(windows.inputs(batch)), windows.targets(batch))
            batch_loss.backward()
            optimizer.step()
            total += batch_loss.item() * len(batch)
        training_seconds += time.perf_counter() - began
        trained_windows += len(order)
        epochs_run = epoch
        train_loss = total / max(1, len(order))
        validation_loss = evaluate(network, windows, validation_starts, loss, batch_size * 4)
        judged = train_loss if validation_loss is None else validation_loss
        if judged < best_loss:
            best_loss, best_epoch, stale = judged, epoch, 0
            best_state = {name: value.detach().clone() for name, value in network.state_dict().items()}
        else:
            stale += 1
        emit(
            {
                "type": "epoch",
                "epoch": epoch,
                "max_epochs": spec["max_epochs"],
                "train_loss": train_loss,
                "validation_loss": validation_loss,
                "seconds": time.perf_counter() - began,
            }
        )
        if validation_loss is not None and stale >= spec["patience"]:
            break

    network.load_state_dict(best_state)
    network.eval()
    torch.save(network.state_dict(), os.path.join(directory, "weights.pt"))
    served = Served(network, mean, std, target_indexes).eval()
    eval_batch = batch_size * 4
    check = torch.cat([validation_starts, test_starts, train_starts])[: spec["check_windows"]]
    offsets = torch.arange(input_length)
    check_input = series[check.view(-1, 1) + offsets]
    with torch.no_grad():
        check_output = served(check_input)
        torch.onnx.export(
            served,
            check_input[:2],
            os.path.join(directory, "model.onnx"),
            opset_version=14,
            input_names=["window"],
            output_names=["forecast"],
            dynamic_axes={"window": {0: "batch"}, "forecast": {0: "batch"}},
        )
    check_input.numpy().tofile(os.path.join(directory, "check_input.f32"))
    check_output.numpy().tofile(os.path.join(directory, "check_output.f32"))
    forecast(served, series, validation_starts, input_length, eval_batch).numpy().tofile(os.path.join(directory, "validation_forecast.f32"))
    forecast(served, series, test_starts, input_length, eval_batch).numpy().tofile(os.path.join(directory, "test_forecast.f32"))
    emit(
        {
            "type": "done",
            "epochs_run": epochs_run,
            "best_epoch": best_epoch,
            "best_loss": best_loss,
            "check_windows": len(check),
            "training_seconds": training_seconds,
            "windows_per_second": trained_windows / training_seconds if training_seconds > 0 else 0,
            "threads": torch.get_num_threads(),
        }
    )


if __name__ == "__main__":
    try:
        train(sys.argv[1])
    except Exception as error:  # reported to engine.ts as the training's error, without the traceback's server paths
        emit({"type": "error", "message": f"{type(error).__name__}: {error}"})
        sys.exit(1)
