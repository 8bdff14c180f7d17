"""N-HiTS, the network of the `nhits` family (loaded by plugins/base/sequence/engine.py).

Challu, Olivares, Oreshkin, Garza, Mergenthaler-Canseco and Dubrawski, "N-HiTS: Neural Hierarchical
Interpolation for Time Series Forecasting", AAAI 2023, with the defaults of neuralforecast's NHITS:

- `n_stacks` stacks (3) of `n_blocks` blocks each (1; an int for every stack or a list per stack);
- a block max-pools its input with the stack's kernel (`pool_kernel_sizes`, [2, 2, 1]; ceil_mode, so
  a last partial window is pooled too), runs an MLP with ReLU (`mlp_units`: the hidden widths of the
  blocks of each stack, [[512, 512]] × 3 — a list of ints is used for every stack), dropout `dropout`
  (0.0) after each activation, and returns a backcast of input_length values and
  max(horizon // downsample_frequency, 1) forecast knots (`downsample_frequencies`, neuralforecast's
  n_freq_downsample, [4, 2, 1]) that linear interpolation spreads over the horizon. The MLP is the
  paper's and the authors' code's (two hidden layers of 512 per block, each with ReLU): neuralforecast's
  code reads the same default differently, giving every block all three [512, 512] layers after an
  input layer without activation (3.3M parameters instead of 1.7M at L=336, H=96);
- doubly residual stacking: each block sees what the earlier blocks did not explain of the input
  (residual − backcast), and the forecast is the sum of the blocks' forecasts added to the last input
  value (neuralforecast's and the authors' "level with Naive1", always on);
- the series is fed to the blocks in reversed time order, as in both reference implementations (the
  exogenous channels keep theirs, as in neuralforecast);
- `scaler_type` as neuralforecast's temporal scaler: "identity" (its default) leaves each window as the
  engine scaled the series; "standard" standardises each target window by its own mean and standard
  deviation and undoes it on the forecast, which follows a series whose level drifts between the
  training and the test period (ETTh1's does).

Multivariate windows: each target channel is forecast as its own univariate series with the same
weights; the input channels that are not targets enter every block as historical exogenous inputs,
pooled like the series and concatenated to the pooled residual (neuralforecast's hist_exog). When the
targets are all the channels (the ETT multivariate setting) there are no exogenous inputs.

    build(config, input_length, horizon, n_inputs, target_indexes) -> torch.nn.Module
    forward(x: [N, input_length, n_inputs]) -> [N, horizon, len(target_indexes)]
"""
import math

import torch
from torch import nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, input_length, horizon, n_exogenous, pool_kernel_size, hidden_units, n_knots, dropout):
        super().__init__()
        self.input_length = input_length
        self.horizon = horizon
        self.pool = nn.MaxPool1d(kernel_size=pool_kernel_size, stride=pool_kernel_size, ceil_mode=True)
        pooled_length = math.ceil(input_length / pool_kernel_size)
        layers = []
        width = pooled_length * (1 + n_exogenous)
        for units in hidden_units:
            layers += [nn.Linear(width, units), nn.ReLU()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = units
        layers.append(nn.Linear(width, input_length + n_knots))
        self.mlp = nn.Sequential(*layers)

    def forward(self, residual, exogenous, n_targets):
        """residual [N·K, L] (reversed time), exogenous [N, E, L] or None -> backcast [N·K, L], forecast [N·K, H]."""
        features = self.pool(residual.unsqueeze(1)).squeeze(1)
        if exogenous is not None:
            # [N, E, L/k] -> [N, L/k, E] flattened step by step, as neuralforecast lays hist_exog out; then
            # the same features for each of the window's K target channels.
            pooled = self.pool(exogenous).transpose(1, 2)
            pooled = pooled.reshape(pooled.shape[0], 1, -1).expand(-1, n_targets, -1)
            features = torch.cat([features, pooled.reshape(features.shape[0], -1)], dim=1)
        theta = self.mlp(features)
        backcast = theta[:, : self.input_length]
        knots = theta[:, self.input_length :].unsqueeze(1)
        forecast = F.interpolate(knots, size=self.horizon, mode="linear").squeeze(1)
        return backcast, forecast


class NHITS(nn.Module):
    def __init__(self, input_length, horizon, n_inputs, target_indexes, n_blocks, mlp_units, pool_kernel_sizes,
                 downsample_frequencies, dropout, scaler_type):
        super().__init__()
        self.standardise_windows = scaler_type == "standard"
        exogenous_indexes = [index for index in range(n_inputs) if index not in target_indexes]
        self.register_buffer("target_indexes", torch.tensor(target_indexes, dtype=torch.long), persistent=False)
        self.register_buffer("exogenous_indexes", torch.tensor(exogenous_indexes, dtype=torch.long), persistent=False)
        self.has_exogenous = bool(exogenous_indexes)
        self.blocks = nn.ModuleList(
            Block(input_length, horizon, len(exogenous_indexes), kernel, units, max(horizon // frequency, 1), dropout)
            for count, units, kernel, frequency in zip(n_blocks, mlp_units, pool_kernel_sizes, downsample_frequencies)
            for _ in range(count)
        )

    def forward(self, x):  # x: [N, L, C]
        series = x.index_select(2, self.target_indexes).transpose(1, 2)  # [N, K, L]
        n_targets, input_length = series.shape[1], series.shape[2]
        univariate = series.reshape(-1, input_length)  # [N·K, L]
        if self.standardise_windows:
            level = univariate.mean(dim=1, keepdim=True)
            scale = univariate.std(dim=1, unbiased=False, keepdim=True) + 1e-5
            univariate = (univariate - level) / scale
        exogenous = x.index_select(2, self.exogenous_indexes).transpose(1, 2) if self.has_exogenous else None
        residual = univariate.flip(dims=(-1,))
        forecast = univariate[:, -1:]
        for block in self.blocks:
            backcast, block_forecast = block(residual, exogenous, n_targets)
            residual = residual - backcast
            forecast = forecast + block_forecast
        if self.standardise_windows:
            forecast = forecast * scale + level
        return forecast.reshape(-1, n_targets, forecast.shape[-1]).transpose(1, 2)


def per_stack(value, n_stacks, name):
    values = list(value) if isinstance(value, (list, tuple)) else [value] * n_stacks
    if len(values) != n_stacks:
        raise ValueError(f"{name} has {len(values)} entries for {n_stacks} stacks")
    return values


def build(config, input_length, horizon, n_inputs, target_indexes):
    n_stacks = int(config.get("n_stacks", 3))
    mlp_units = config.get("mlp_units", [[512, 512]] * n_stacks)
    if mlp_units and all(isinstance(units, int) for units in mlp_units):
        mlp_units = [mlp_units] * n_stacks
    mlp_units = [[int(units) for units in stack] for stack in per_stack(mlp_units, n_stacks, "mlp_units")]
    n_blocks = [int(count) for count in per_stack(config.get("n_blocks", 1), n_stacks, "n_blocks")]
    pool_kernel_sizes = [int(k) for k in per_stack(config.get("pool_kernel_sizes", [2, 2, 1]), n_stacks, "pool_kernel_sizes")]
    downsample_frequencies = [
        int(f) for f in per_stack(config.get("downsample_frequencies", [4, 2, 1]), n_stacks, "downsample_frequencies")
    ]
    if any(k < 1 for k in pool_kernel_sizes) or any(f < 1 for f in downsample_frequencies):
        raise ValueError("pool_kernel_sizes and downsample_frequencies must be positive")
    if not target_indexes or len(set(target_indexes)) != len(target_indexes) or any(
        not 0 <= index < n_inputs for index in target_indexes
    ):
        raise ValueError(f"target_indexes {target_indexes} must be distinct indexes in 0..{n_inputs - 1}")
    return NHITS(
        input_length=input_length,
        horizon=horizon,
        n_inputs=n_inputs,
        target_indexes=list(target_indexes),
        n_blocks=n_blocks,
        mlp_units=mlp_units,
        pool_kernel_sizes=pool_kernel_sizes,
        downsample_frequencies=downsample_frequencies,
        dropout=float(config.get("dropout", 0.0)),
        scaler_type=str(config.get("scaler_type", "identity")),
    )
