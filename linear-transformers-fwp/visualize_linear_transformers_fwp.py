"""Static figures for linear-transformers-fwp -> viz/*.png.

Loads the saved headline run (linear_transformers_fwp.saved_run()) and the
capacity run record (runs/capacity.json); trains (headline config) only when no
saved run exists. Holds no training code and no hyperparameters of its own.

    python3 linear-transformers-fwp/visualize_linear_transformers_fwp.py
"""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import linear_transformers_fwp as fwp  # noqa: E402

VIZ = os.path.join(HERE, "viz")
COLORS = {"identity": "#1f77b4", "elu": "#17becf", "dpfp1": "#2ca02c", "dpfp2": "#ff7f0e",
          "dpfp3": "#d62728", "favor": "#9467bd", "softmax": "#7f7f7f", "sum": "#d62728", "delta": "#1f77b4"}
LABELS = {"identity": "linear (identity)", "elu": "linear (ELU+1, normalised)",
          "dpfp1": "DPFP-1", "dpfp2": "DPFP-2", "dpfp3": "DPFP-3", "favor": "FAVOR+ (32 features)",
          "softmax": "softmax"}


def fig_equivalence(cfg, path):
    """Attention scores, the fast weight matrix, and identical reads from both forms."""
    rng = np.random.default_rng(cfg.seed)
    T, dk, dv = 12, cfg.eq_d_key, cfg.eq_d_value
    K, Q, V = (rng.normal(size=(1, T, n)) for n in (dk, dk, dv))
    y_att, A = fwp.causal_attention(Q, K, V)
    y_fwp, W = fwp.fwp_scan(K, V, Q, "sum")
    diff = np.abs(y_att - y_fwp).max()
    fig, ax = plt.subplots(1, 3, figsize=(13, 4.2))
    m = np.abs(A[0]).max()
    im = ax[0].imshow(np.where(np.tril(np.ones((T, T))) > 0, A[0], np.nan), cmap="RdBu_r",
                      vmin=-m, vmax=m)
    ax[0].set(title="attention view: scores $q_t \\cdot k_j$, $j \\leq t$",
              xlabel="key position j", ylabel="query position t")
    fig.colorbar(im, ax=ax[0], fraction=0.046)
    m = np.abs(W[0, -1]).max()
    im = ax[1].imshow(W[0, -1], cmap="RdBu_r", vmin=-m, vmax=m)
    ax[1].set(title=f"FWP view: $W_T = \\sum_t v_t k_t^T$ ({dv}x{dk})",
              xlabel="key dimension", ylabel="value dimension")
    fig.colorbar(im, ax=ax[1], fraction=0.046)
    ax[2].scatter(y_att.ravel(), y_fwp.ravel(), s=12, c=np.repeat(np.arange(T), dv),
                  cmap="viridis")
    lim = np.abs(y_att).max() * 1.05
    ax[2].plot([-lim, lim], [-lim, lim], "k--", lw=0.8)
    ax[2].set(title=f"every read $y_t$ from both forms\nmax |difference| = {diff:.1e}",
              xlabel="attention: $\\sum_{j\\leq t} (q_t\\cdot k_j)\\, v_j$",
              ylabel="FWP scan: $W_t\\, q_t$")
    fig.suptitle("Causal linear attention and the 1992 fast weight programmer compute the "
                 "same reads (colour = step t)", fontsize=12)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def fig_capacity(path):
    """Loss vs S per method from the multi-seed capacity record (else the 1-seed one)."""
    for name in ("capacity",):
        rec_path = os.path.join(HERE, "runs", name + ".json")
        if os.path.isfile(rec_path):
            break
    else:
        print("no runs/capacity*.json yet: skipping the capacity figure (run the capacity "
              "command in the README first)")
        return
    with open(rec_path) as fh:
        rec = json.load(fh)
    met, cfg = rec["metrics"], rec["config"]
    S = np.array(met["S"])
    floor = 1e-7
    fig, ax = plt.subplots(figsize=(9.5, 5.9))
    for m, losses in met["capacity_loss"].items():
        ax.plot(S, np.maximum(losses, floor), "o-", ms=3.5, color=COLORS[m], label=LABELS[m])
        if "capacity_loss_per_seed" in met:                    # band: min..max over seeds
            runs = np.maximum(np.array(met["capacity_loss_per_seed"][m]), floor)
            ax.fill_between(S, runs.min(0), runs.max(0), color=COLORS[m], alpha=0.2, lw=0)
        dd, kn = met["d_dot"][m], met["capacity_knee"][m]
        if dd is not None:
            ax.axvline(dd, color=COLORS[m], ls=":", lw=1.2)
        if kn is not None:
            ax.plot([kn], [cfg["knee_loss"]], "v", color=COLORS[m], ms=10, mec="k")
    ax.axhline(cfg["knee_loss"], color="k", lw=0.8, ls="--")
    ax.text(S[-1], cfg["knee_loss"] * 1.3, f"knee threshold {cfg['knee_loss']}", ha="right",
            fontsize=8)
    ax.set_yscale("log")
    ax.set(xlabel="number of stored associations S (= sequence length L)",
           ylabel=f"final squared retrieval error (floored at {floor:g})",
           ylim=(floor / 2, 3))
    kn = met["capacity_knee"]
    fmt = lambda k: "none" if k is None else f"{k:.0f}"
    n = met.get("n_seeds", 1)
    ax.set_title("Setting 1 (d_key = %d%s): identity, ELU+1 and DPFP memories break where S\n"
                 "passes their d_dot (dotted: the paper's capacity); FAVOR+ breaks well before\nknee (triangle) / d_dot: %s;\n"
                 "softmax: %s up to S = %d"
                 % (cfg["cap_d_key"], "" if n == 1 else f", median and range of {n} seeds",
                    ", ".join(f"{m} {fmt(kn[m])}/{met['d_dot'][m]}"
                                                 for m in kn if m != "softmax"),
                    "no knee" if kn.get("softmax") is None else fmt(kn["softmax"]), S[-1]),
                 fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(fig)


def fig_learning_curves(cfg, history, metrics, path):
    fig, ax = plt.subplots(figsize=(8.5, 4.8))
    for r in fwp.RULES:
        for i, h in enumerate(history[r]):
            ax.plot(h["step"], h["loss"], color=COLORS[r], alpha=0.85,
                    label=f"{r} rule" if i == 0 else None)
    ax.axhline(1.0, color="gray", ls=":", lw=0.8)
    ax.text(0, 1.08, "memory that returns nothing (y = 0)", fontsize=8, color="gray")
    ax.axhline(cfg.success_loss, color="k", ls="--", lw=0.8)
    ax.text(cfg.steps, cfg.success_loss * 1.25, f"'near zero' = {cfg.success_loss}", ha="right",
            fontsize=8)
    ax.set_yscale("log")
    fl = metrics["setting2_final_loss"]
    ax.set(xlabel="training step (batch of %d sequences)" % cfg.batch_size,
           ylabel="squared retrieval error (train batches, mean of %d steps)" % cfg.log_every,
           title=f"Setting 2 (S={cfg.S}, L={cfg.L}, DPFP-{cfg.nu}, {cfg.n_seeds} seeds): the delta "
                 f"rule reaches {fl['delta']:.1e},\nthe sum rule stalls at {fl['sum']:.2f} "
                 f"(paper: delta near zero, sum fails)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def fig_fast_weights(cfg, models, path):
    """W after one held-out episode, and what every key reads back, sum vs delta."""
    keys, vals, q, tgt = fwp.make_batch(fwp.streams(cfg.seed)["eval"], cfg.S, cfg.L, 1, True)
    latest = np.full(cfg.S, -1)
    for k, v in zip(keys[0], vals[0]):
        latest[k] = v
    fig, ax = plt.subplots(2, 2, figsize=(13, 7.5), gridspec_kw={"width_ratios": [2.2, 1]})
    for row, r in enumerate(fwp.RULES):
        W, P, _ = fwp.episode_memory(models[r][0], keys, vals, r, cfg)
        WT = W[0, -1]                                          # (S, D)
        m = np.abs(WT).max()
        im = ax[row, 0].imshow(WT, cmap="RdBu_r", vmin=-m, vmax=m, aspect="auto",
                               interpolation="nearest")
        ax[row, 0].set(title=f"{r} rule: fast weights $W_L$ after {cfg.L} writes",
                       xlabel=f"feature i of DPFP-{cfg.nu}($k$) (d_dot = {WT.shape[1]})",
                       ylabel="value unit")
        fig.colorbar(im, ax=ax[row, 0], fraction=0.03)
        R = WT @ P.T                                           # (S values, S keys)
        seen = latest >= 0
        err = ((R[:, seen] - np.eye(cfg.S)[:, latest[seen]]) ** 2).sum(0).mean()
        im = ax[row, 1].imshow(R, cmap="magma", vmin=0, vmax=max(1.0, R.max()),
                               interpolation="nearest")
        ax[row, 1].plot(np.where(seen)[0], latest[seen], "o", mfc="none", mec="c", ms=9)
        ax[row, 1].set(title=f"read-back $W_L\\,\\phi(k)$ per key (circles: latest value)\n"
                             f"mean squared error over seen keys {err:.3f}",
                       xlabel="key symbol", ylabel="value symbol")
        fig.colorbar(im, ax=ax[row, 1], fraction=0.046)
    fig.suptitle("One held-out Setting 2 sequence: the delta rule overwrites stale pairs and "
                 "reads back only the latest value; the sum rule piles them up", fontsize=12)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main():
    os.makedirs(VIZ, exist_ok=True)
    cfg, models, history = fwp.saved_run()
    metrics = fwp.summarise(cfg, models, history)
    fig_equivalence(cfg, os.path.join(VIZ, "equivalence.png"))
    fig_capacity(os.path.join(VIZ, "capacity.png"))
    fig_learning_curves(cfg, history, metrics, os.path.join(VIZ, "setting2_learning_curves.png"))
    fig_fast_weights(cfg, models, os.path.join(VIZ, "fast_weights_sum_vs_delta.png"))
    for f in sorted(os.listdir(VIZ)):
        print(f"wrote viz/{f} ({os.path.getsize(os.path.join(VIZ, f)) // 1024} KB)")


if __name__ == "__main__":
    main()
