"""Static figures for the adding problem -> adding-problem/viz/*.png.

Loads the saved runs of the run records (results.json, runs/*.json) from
.cache/; trains a run once (and saves it) only if its cache is missing.

  python3 adding-problem/visualize_adding_problem.py
"""
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import adding_problem as ap  # noqa: E402

VIZ = os.path.join(HERE, "viz")
COLORS = {100: "tab:blue", 500: "tab:orange", 1000: "tab:green"}


def record_runs():
    """(cfg, record) of every run record present, keyed by file stem."""
    out = {}
    paths = [os.path.join(HERE, "results.json")]
    rd = os.path.join(HERE, "runs")
    if os.path.isdir(rd):
        paths += [os.path.join(rd, f) for f in sorted(os.listdir(rd)) if f.endswith(".json")]
    for p in paths:
        if os.path.exists(p):
            out[os.path.splitext(os.path.basename(p))[0]] = ap.config_from_record(p)
    return out


def lstm_runs_by_T(recs):
    """One LSTM run per T: the headline's settings (results.json) at each T."""
    head_cfg, _ = recs["results"]
    by_T = {}
    for name, (cfg, rec) in recs.items():
        same = all(getattr(cfg, f) == getattr(head_cfg, f)
                   for f in ("model", "cell", "optimizer", "gradient", "batch_size", "lr"))
        if same and cfg.T not in by_T:
            by_T[cfg.T] = cfg
    return dict(sorted(by_T.items()))


def fig_learning_curves(by_T):
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    finals = []
    for T, cfg in by_T.items():
        _, hist, _ = ap.load_or_train(cfg)
        seen = np.array(hist["seen"])
        col = COLORS.get(T, "k")
        ax1.plot(seen, hist["mse"], color=col, label=f"T={T} (ours)")
        ax2.plot(seen, hist["frac_correct"], color=col, label=f"T={T} (ours)")
        paper = ap.PAPER["metrics"].get(f"T{T}")
        for ax in (ax1, ax2):
            if hist["solved"]:
                ax.axvline(hist["sequences"], color=col, lw=1)
            if paper:
                ax.axvline(paper["sequences_to_criterion"], color=col, ls="--", lw=1)
        finals.append(f"T={T}: {hist['sequences'] / 1e3:.0f}k" if hist["solved"] else f"T={T}: not met")
    ax1.axhline(0.01, color="gray", ls=":", lw=1, label="stopping rule: MSE < 0.01")
    ax1.legend(fontsize=8, loc="lower left")
    ax1.set_yscale("log")
    ax1.set_ylabel("training MSE (last 2000 sequences)")
    ax2.set_ylabel("fraction with |error| < 0.04 (last 2000)")
    ax2.set_ylim(0, 1.02)
    for ax in (ax1, ax2):
        ax.set_xscale("log")
        ax.set_xlabel("training sequences seen")
    ax2.plot([], [], color="k", lw=1, label="stopping rule met (ours)")
    ax2.plot([], [], color="k", ls="--", lw=1, label="paper, Table 7")
    ax2.legend(fontsize=8, loc="upper left")
    fig.suptitle("Sequences to the paper's stopping rule: " + ", ".join(finals)
                 + "  (dashed: paper 74k / 209k / 853k)", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(VIZ, "learning_curves.png"), dpi=90)
    plt.close(fig)


def fig_scatter(by_T):
    fig, axes = plt.subplots(1, len(by_T), figsize=(3.8 * len(by_T), 3.9), squeeze=False)
    for ax, (T, cfg) in zip(axes[0], by_T.items()):
        params, _, _ = ap.load_or_train(cfg)
        ev = ap.evaluate(cfg, params)
        ax.fill_between([0, 1], [-0.04, 0.96], [0.04, 1.04], color="0.85", label="|error| < 0.04")
        ax.scatter(ev["d"], ev["o"], s=2, color=COLORS.get(T, "k"))
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal")
        ax.set_xlabel("target 0.5 + (X1 + X2) / 4")
        ax.set_ylabel("network output")
        ax.set_title(f"T={T}: {ev['test_wrong']}/2560 wrong, MSE {ev['test_mse']:.1e}", fontsize=9)
        ax.legend(fontsize=7, loc="upper left")
    fig.suptitle("2560 fresh test sequences after the stopping rule: the outputs bend away from "
                 "the diagonal only at extreme targets (paper: at most 3/2560 wrong)", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(VIZ, "prediction_scatter.png"), dpi=90)
    plt.close(fig)


def fig_cell_states(cfg):
    params, _, _ = ap.load_or_train(cfg)
    x, lengths, d, p1, p2 = ap.make_batch(np.random.default_rng(12345), cfg.T, 1)
    o, cache = ap.forward(cfg, params, x, lengths)
    C, nb = cache["C"], cfg.n_blocks
    t = np.arange(x.shape[0])
    fig, axes = plt.subplots(3, 1, figsize=(9, 6.5), sharex=True)
    axes[0].plot(t, x[:, 0, 0], color="0.5", lw=0.8, label="value")
    axes[0].step(t, x[:, 0, 1], color="k", lw=0.8, where="mid", label="marker")
    axes[0].set_ylabel("input")
    axes[0].legend(fontsize=7, loc="lower right", ncol=2)
    for v in range(C):
        axes[1].plot(t, cache["S"][:, 0, v], label=f"cell {v // cfg.block_size + 1}.{v % cfg.block_size + 1}")
    axes[1].set_ylabel("cell state s(t)")
    axes[1].legend(fontsize=7, ncol=4)
    for j in range(nb):
        axes[2].plot(t, cache["A"][:, 0, C + j], label=f"input gate {j + 1}")
        axes[2].plot(t, cache["A"][:, 0, C + nb + j], ls="--", label=f"output gate {j + 1}")
    axes[2].set_ylabel("gate activation")
    axes[2].set_xlabel("time step")
    axes[2].legend(fontsize=7, ncol=4)
    for ax in axes:
        for p in (p1[0], p2[0]):
            ax.axvline(p, color="red", alpha=0.3, lw=3)
    fig.suptitle(f"T={cfg.T}: an input gate opens at the two marked steps (red; X1={x[p1[0], 0, 0]:+.2f}, "
                 f"X2={x[p2[0], 0, 0]:+.2f}) and its cells hold the sum to the end;\n"
                 f"output {o[0]:.3f} vs target {d[0]:.3f} (|error| < 0.04 counts as correct)", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(VIZ, "cell_states.png"), dpi=90)
    plt.close(fig)


def fig_rnn_vs_lstm(recs):
    rnn = [c for c, r in recs.values() if c.model == "rnn"]
    if not rnn:
        return
    head_cfg = recs["results"][0]
    fig, ax = plt.subplots(figsize=(7, 4))
    for cfg, lab, col in ((head_cfg, "LSTM, 93 weights", "tab:blue"),
                          (rnn[0], f"vanilla RNN ({cfg_weights(rnn[0])} weights)", "tab:red")):
        _, hist, ev = ap.load_or_train(cfg)
        ax.plot(hist["seen"], hist["mse"], color=col,
                label=f"{lab}: test {ev['test_wrong']}/2560 wrong")
    ax.axhline(0.01, color="gray", ls=":", lw=1, label="stopping rule: MSE < 0.01")
    ax.axhline(2 / 3 / 16, color="gray", ls="--", lw=1, label="predicting the mean (MSE 1/24)")
    ax.set_yscale("log")
    ax.set_xlabel("training sequences seen")
    ax.set_ylabel("training MSE (last 2000 sequences)")
    ax.set_title(f"T={head_cfg.T}: the RNN never leaves the predict-the-mean plateau; LSTM does",
                 fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(VIZ, "rnn_vs_lstm.png"), dpi=90)
    plt.close(fig)


def cfg_weights(cfg):
    return ap.n_weights(ap.init_params(cfg, np.random.default_rng(0)))


def main():
    os.makedirs(VIZ, exist_ok=True)
    recs = record_runs()
    by_T = lstm_runs_by_T(recs)
    fig_learning_curves(by_T)
    fig_scatter(by_T)
    fig_cell_states(recs["results"][0])
    fig_rnn_vs_lstm(recs)
    print("wrote", ", ".join(sorted(os.listdir(VIZ))))


if __name__ == "__main__":
    main()
