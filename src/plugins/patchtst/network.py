"""PatchTST, the network of the `patchtst` family (loaded by plugins/base/sequence/engine.py).

Nie, Nguyen, Sinthong and Kalagnanam, "A Time Series is Worth 64 Words: Long-term Forecasting with
Transformers", ICLR 2023, in its supervised form (PatchTST/64 when input_length is 512, PatchTST/42 at 336),
following the authors' official implementation wherever the paper leaves a choice open:

- channel independence: every target channel is a univariate series through the same weights;
- RevIN: each window's channel has its own mean and standard deviation (population variance + 1e-5)
  taken off at the input and put back on the forecast; the learnable affine of RevIN is off by default,
  as in the official runs (their `--affine` defaults to 0), and on with `revin_affine: true`;
- patches of `patch_length` every `stride` steps, after repeating the last value `stride` times at the
  end (the official padding_patch="end"): patch_num = (L - P) // S + 2;
- a linear patch embedding to `d_model`, a learned positional encoding (initialised U(-0.02, 0.02));
- a post-norm Transformer encoder whose norms are BatchNorm1d over d_model (not LayerNorm), GELU
  feed-forward, and residual attention (each layer's pre-softmax scores are added to the next
  layer's, RealFormer-style), the official default;
- the flatten head: d_model × patch_num features to `horizon` values by one linear map shared by all
  channels.

Defaults are the official ETTh1 script's: patch_length 16, stride 8, d_model 16, n_heads 4, n_layers 3,
d_ff 128, dropout 0.3, head_dropout 0, revin true. The official fc_dropout only reaches the pretraining
head, so the supervised network has no use for it.

    build(config, input_length, horizon, n_inputs, target_indexes) -> torch.nn.Module
    forward(x: [N, input_length, n_inputs]) -> [N, horizon, len(target_indexes)]
"""
import torch
from torch import nn

REVIN_EPS = 1e-5


class ResidualAttention(nn.Module):
    """Multi-head self-attention that also returns its pre-softmax scores and adds the previous layer's."""

    def __init__(self, d_model, n_heads, dropout):
        super().__init__()
        self.n_heads = n_heads
        self.head_dim = d_model // n_heads
        self.scale = self.head_dim ** -0.5
        self.query = nn.Linear(d_model, d_model)
        self.key = nn.Linear(d_model, d_model)
        self.value = nn.Linear(d_model, d_model)
        self.out = nn.Linear(d_model, d_model)
        self.dropout = nn.Dropout(dropout)

    def split_heads(self, x):  # [B, T, d_model] -> [B, heads, T, head_dim]
        return x.reshape(x.shape[0], x.shape[1], self.n_heads, self.head_dim).transpose(1, 2)

    def forward(self, x, previous_scores):
        q, k, v = self.split_heads(self.query(x)), self.split_heads(self.key(x)), self.split_heads(self.value(x))
        scores = torch.matmul(q, k.transpose(-2, -1)) * self.scale
        if previous_scores is not None:
            scores = scores + previous_scores
        mixed = torch.matmul(torch.softmax(scores, dim=-1), v)
        mixed = mixed.transpose(1, 2).reshape(x.shape[0], x.shape[1], -1)
        return self.dropout(self.out(mixed)), scores


class PatchBatchNorm(nn.BatchNorm1d):
    """BatchNorm1d over the d_model features of [B, T, d_model] (statistics over batch and patches)."""

    def forward(self, x):
        return super().forward(x.transpose(1, 2)).transpose(1, 2)


class EncoderLayer(nn.Module):
    def __init__(self, d_model, n_heads, d_ff, dropout):
        super().__init__()
        self.attention = ResidualAttention(d_model, n_heads, dropout)
        # The official layer drops the attention output once more on the residual branch, on top of the
        # dropout after its output projection; kept for the same regularisation.
        self.attention_dropout = nn.Dropout(dropout)
        self.attention_norm = PatchBatchNorm(d_model)
        self.feed_forward = nn.Sequential(
            nn.Linear(d_model, d_ff), nn.GELU(), nn.Dropout(dropout), nn.Linear(d_ff, d_model)
        )
        self.feed_forward_dropout = nn.Dropout(dropout)
        self.feed_forward_norm = PatchBatchNorm(d_model)

    def forward(self, x, previous_scores):
        attended, scores = self.attention(x, previous_scores)
        x = self.attention_norm(x + self.attention_dropout(attended))
        x = self.feed_forward_norm(x + self.feed_forward_dropout(self.feed_forward(x)))
        return x, scores


class PatchTST(nn.Module):
    def __init__(self, input_length, horizon, target_indexes, patch_length, stride, d_model, n_heads, n_layers,
                 d_ff, dropout, head_dropout, revin, revin_affine):
        super().__init__()
        self.stride = stride
        self.revin = revin
        self.revin_affine = revin and revin_affine
        n_targets = len(target_indexes)
        # Channel independence makes a channel's forecast depend on that channel alone, so only the
        # target channels are run.
        self.register_buffer("target_indexes", torch.tensor(target_indexes, dtype=torch.long), persistent=False)
        if self.revin_affine:
            self.revin_weight = nn.Parameter(torch.ones(n_targets))
            self.revin_bias = nn.Parameter(torch.zeros(n_targets))
        patch_num = (input_length - patch_length) // stride + 2
        # Patches are cut by gathering these positions of the padded series rather than with
        # Tensor.unfold, whose ONNX export in torch 1.13 swaps the last two axes.
        starts = torch.arange(patch_num).view(-1, 1) * stride
        self.register_buffer("patch_positions", starts + torch.arange(patch_length), persistent=False)
        self.patch_embedding = nn.Linear(patch_length, d_model)
        self.positional_encoding = nn.Parameter(torch.empty(patch_num, d_model).uniform_(-0.02, 0.02))
        self.embedding_dropout = nn.Dropout(dropout)
        self.layers = nn.ModuleList(EncoderLayer(d_model, n_heads, d_ff, dropout) for _ in range(n_layers))
        self.head = nn.Linear(d_model * patch_num, horizon)
        self.head_dropout = nn.Dropout(head_dropout)

    def forward(self, x):  # x: [N, L, C]
        series = x.index_select(2, self.target_indexes).transpose(1, 2)  # [N, K, L]
        n_targets = series.shape[1]
        if self.revin:
            # Statistics are constants to the gradient, as in the official RevIN.
            mean = series.mean(dim=-1, keepdim=True).detach()
            std = torch.sqrt(series.var(dim=-1, keepdim=True, unbiased=False) + REVIN_EPS).detach()
            series = (series - mean) / std
            if self.revin_affine:
                series = series * self.revin_weight.view(-1, 1) + self.revin_bias.view(-1, 1)
        padded = torch.cat([series, series[..., -1:].expand(-1, -1, self.stride)], dim=-1)
        patches = padded[..., self.patch_positions]  # [N, K, patch_num, P]
        tokens = self.patch_embedding(patches.reshape(-1, patches.shape[2], patches.shape[3]))
        tokens = self.embedding_dropout(tokens + self.positional_encoding)  # [N·K, patch_num, d_model]
        scores = None
        for layer in self.layers:
            tokens, scores = layer(tokens, scores)
        # Flattened as the official head does, d_model-major, so its weights line up with theirs.
        features = tokens.transpose(1, 2).reshape(-1, n_targets, tokens.shape[1] * tokens.shape[2])
        forecast = self.head_dropout(self.head(features))  # [N, K, H]
        if self.revin:
            if self.revin_affine:  # eps² keeps a weight trained to zero from dividing by zero
                forecast = (forecast - self.revin_bias.view(-1, 1)) / (self.revin_weight.view(-1, 1) + REVIN_EPS ** 2)
            forecast = forecast * std + mean
        return forecast.transpose(1, 2)


def build(config, input_length, horizon, n_inputs, target_indexes):
    patch_length = int(config.get("patch_length", 16))
    stride = int(config.get("stride", 8))
    d_model = int(config.get("d_model", 16))
    n_heads = int(config.get("n_heads", 4))
    if d_model % n_heads:
        raise ValueError(f"d_model ({d_model}) must be a multiple of n_heads ({n_heads})")
    if patch_length > input_length:
        raise ValueError(f"patch_length ({patch_length}) exceeds input_length ({input_length})")
    if not target_indexes or len(set(target_indexes)) != len(target_indexes) or any(
        not 0 <= index < n_inputs for index in target_indexes
    ):
        raise ValueError(f"target_indexes {target_indexes} must be distinct indexes in 0..{n_inputs - 1}")
    return PatchTST(
        input_length=input_length,
        horizon=horizon,
        target_indexes=list(target_indexes),
        patch_length=patch_length,
        stride=stride,
        d_model=d_model,
        n_heads=n_heads,
        n_layers=int(config.get("n_layers", 3)),
        d_ff=int(config.get("d_ff", 128)),
        dropout=float(config.get("dropout", 0.3)),
        head_dropout=float(config.get("head_dropout", 0.0)),
        revin=bool(config.get("revin", True)),
        revin_affine=bool(config.get("revin_affine", False)),
    )
