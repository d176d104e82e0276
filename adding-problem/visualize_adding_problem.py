"""Static figures for the adding problem -> adding-problem/viz/*.png.

Loads the saved run of each run record (results.json, runs/*.json) with
adding_problem.saved_run (trains it once only if the cache is missing) and
calls the stub's forward/evaluate; no training code here.

  python3 adding-problem/visualize_adding_problem.py
  python3 adding-problem/visualize_adding_problem.py tail   # online_tail.png only (from run records)
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
import adding_problem as ap  # noqa: E402

VIZ = os.path.join(HERE, "viz")
SHOW_SEED = 12345          # the test sequence drawn in cell_states.png and the GIF


def record_config(name):
    """Config of run record `name` ('results' or a runs/ stem), or None if absent."""
    path = os.path.join(HERE, "results.json" if name == "results" else f"runs/{name}.json")
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        c = json.load(fh)["config"]
    return ap.Config(**{k: tuple(v) if isinstance(v, list) else v for k, v in c.items()})


def showcase(history):
    """Index of the run shown alone: the solved run with the median sequence count."""
    seqs, solved = np.array(history["sequences"]), np.array(history["solved"])
    idx = np.flatnonzero(solved) if solved.any() else np.arange(len(seqs))
    return int(idx[np.argsort(seqs[idx])[(len(idx) - 1) // 2]])


def one_run(params, r):
    return {k: v[r:r + 1] for k, v in params.items()}


def replay(cfg, params, seed=SHOW_SEED):
    """One fixed test sequence through a single run's weights: (x, p1, p2, d, o, cache)."""
    x, lengths, d, p1, p2 = ap.make_batch(np.random.default_rng(seed), cfg.T, 1)
    nb, k, kind, lag = ap.arch(cfg)
    o, cache = ap.forward(params, x[:, None], lengths[None], nb, k, kind, lag)
    return x[:, 0], p1[0], p2[0], d[0], o[0, 0], cache


def solved_fraction(history, grid):
    seqs, solved = np.array(history["sequences"]), np.array(history["solved"])
    return [(solved & (seqs <= g)).mean() for g in grid]


def band(ax, seen, values, col, label):
    lo, med, hi = np.quantile(values, [0.1, 0.5, 0.9], axis=1)
    ax.fill_between(seen, lo, hi, color=col, alpha=0.25, lw=0)
    ax.plot(seen, med, color=col, label=label)


def fig_learning_curves(runs):
    """Window MSE and window error rate (median and 10-90% band over runs), runs stopped."""
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(14, 4.2), constrained_layout=True)
    paper = ap.PAPER["metrics"]["sequences_to_criterion"]
    for (label, cfg, hist), col in zip(runs, ("tab:blue", "tab:orange")):
        seen = np.array(hist["seen"])
        band(ax1, seen, np.array(hist["mse"]), col, f"{label}: median, 10-90% of {cfg.n_seeds} runs")
        wrong = np.maximum(1 - np.array(hist["frac_correct"]), 1 / cfg.stop_window / 2)
        band(ax2, seen, wrong, col, f"{label}: |error| >= {cfg.crit:g}")
        grid = np.linspace(0, cfg.max_sequences, 300)
        ax3.plot(grid, solved_fraction(hist, grid), color=col, label=label)
    ax1.axhline(ap.Config.stop_mse, color="gray", ls=":", lw=1, label="stopping rule: window MSE")
    ax1.set_ylabel("training MSE, last 2000 sequences")
    ax2.axhline(1 / ap.Config.stop_window, color="gray", ls=":", lw=1,
                label="one wrong in the window (the rule needs none)")
    ax2.set_ylabel("fraction wrong, last 2000 sequences")
    for ax in (ax1, ax2):
        ax.set_yscale("log")
    ax3.axvline(paper, color="k", ls="--", lw=1, label=f"paper: mean of {ap.PAPER['runs']} trials")
    ax3.set_ylabel("fraction of runs stopped")
    ax3.set_ylim(-0.02, 1.02)
    for ax in (ax1, ax2, ax3):
        ax.set_xlabel("training sequences seen (per run)")
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=1, frameon=False)
    fig.suptitle(f"T={runs[0][1].T}: both rules learn the task; the paper's online rule stays "
                 "just short of 2000 correct in a row within its budget", fontsize=10)
    fig.savefig(os.path.join(VIZ, "learning_curves.png"), dpi=90, bbox_inches="tight")
    plt.close(fig)


def fig_scatter(cfg, params, hist):
    """Test outputs against targets, all runs pooled; the paper's criterion as a band."""
    ev = ap.evaluate(params, cfg)
    fig, ax = plt.subplots(figsize=(5.2, 5.0), constrained_layout=True)
    ax.fill_between([0, 1], [-cfg.crit, 1 - cfg.crit], [cfg.crit, 1 + cfg.crit], color="0.85",
                    label=f"correct: |error| < {cfg.crit:g}")
    e = np.abs(ev["o"] - ev["d"])
    ok = e < cfg.crit
    ax.scatter(ev["d"][ok], ev["o"][ok], s=1, color="tab:blue", alpha=0.3, label="correct")
    ax.scatter(ev["d"][~ok], ev["o"][~ok], s=12, color="tab:red", label="wrong")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    ax.set_xlabel("target 0.5 + (X1 + X2) / 4")
    ax.set_ylabel("network output")
    ax.legend(fontsize=8, loc="upper left")
    wrong = ev["test_wrong"]
    ax.set_title(f"T={cfg.T}, {len(wrong)} runs x {ev['n_test']} fresh test sequences:\n"
                 f"{sum(wrong)} wrong in all, at most {max(wrong)} per run "
                 f"(paper: at most {ap.PAPER['metrics']['test_wrong_max']})", fontsize=10)
    fig.savefig(os.path.join(VIZ, "prediction_scatter.png"), dpi=90, bbox_inches="tight")
    plt.close(fig)


def fig_cell_states(cfg, params, hist):
    r = showcase(hist)
    x, p1, p2, d, o, cache = replay(cfg, one_run(params, r))
    C, nb, t = cache["C"], cfg.n_blocks, np.arange(x.shape[0])
    S, A = cache["S"][:, 0, 0], cache["A"][:, 0, 0]
    tb = int(cache["tb"][0, 0])
    fig, axes = plt.subplots(3, 1, figsize=(9, 6.8), sharex=True, constrained_layout=True)
    axes[0].plot(t, x[:, 0], color="0.5", lw=0.8, label="value")
    axes[0].step(t, x[:, 1], color="k", lw=0.8, where="mid", label="marker")
    axes[0].set_ylabel("input")
    for v in range(C):
        axes[1].plot(t[:tb + 1], S[:tb + 1, v], label=f"cell {v // cfg.block_size + 1}.{v % cfg.block_size + 1}")
    axes[1].set_ylabel("cell state s(t)")
    for j in range(nb):
        axes[2].plot(t[:tb + 1], A[:tb + 1, C + j], label=f"input gate {j + 1}")
        axes[2].plot(t[:tb + 1], A[:tb + 1, C + nb + j], ls="--", label=f"output gate {j + 1}")
    axes[2].set_ylabel("gate activation")
    axes[2].set_xlabel("time step (red: the two marked pairs; dotted: the step the output reads)")
    for ax in axes:
        ax.legend(fontsize=7, ncol=1, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        for p in (p1, p2):
            ax.axvline(p, color="red", alpha=0.3, lw=3)
        ax.axvline(tb, color="k", ls=":", lw=1)
    fig.suptitle(f"T={cfg.T}, run {cfg.seed + r} (median sequence count of the {cfg.n_seeds} runs): "
                 f"X1={x[p1, 0]:+.2f}, X2={x[p2, 0]:+.2f}; output {o:.3f}, target {d:.3f}",
                 fontsize=10)
    fig.savefig(os.path.join(VIZ, "cell_states.png"), dpi=90, bbox_inches="tight")
    plt.close(fig)


def fig_rnn_vs_lstm(lstm, rnn):
    fig, ax = plt.subplots(figsize=(7.5, 4.2), constrained_layout=True)
    for (cfg, params, hist), lab, col in ((lstm, "LSTM, 93 weights", "tab:blue"),
                                          (rnn, "vanilla RNN, 97 weights", "tab:red")):
        wrong = ap.evaluate(params, cfg)["test_wrong"][0]
        ax.plot(hist["seen"], np.array(hist["mse"])[:, 0], color=col,
                label=f"{lab} (run {cfg.seed}): {wrong}/{cfg.n_test} test sequences wrong")
    ax.axhline(ap.Config.stop_mse, color="gray", ls=":", lw=1, label="stopping rule: window MSE")
    ax.axhline(2 / 3 / 16, color="gray", ls="--", lw=1, label="predicting the mean (MSE 1/24)")
    ax.set_yscale("log")
    ax.set_xlabel("training sequences seen")
    ax.set_ylabel("training MSE, last 2000 sequences")
    ax.set_title(f"T={lstm[0].T}, Adam for both: the RNN stays on the predict-the-mean "
                 "plateau, LSTM leaves it", fontsize=10)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False)
    fig.savefig(os.path.join(VIZ, "rnn_vs_lstm.png"), dpi=90, bbox_inches="tight")
    plt.close(fig)


def record(name):
    path = os.path.join(HERE, f"runs/{name}.json")
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        return json.load(fh)


def fig_tail(recs):
    """The online rule's wrong answers by target and by X2's step (experiments_ tail records)."""
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(14, 4.0), constrained_layout=True)
    width = 0.8 / len(recs)
    for i, ((label, rec), col) in enumerate(zip(recs, ("tab:blue", "tab:green"))):
        tail = rec["metrics"]["tail"]
        rows = tail["tables"]["target d"]
        mid = np.array([(r["bin"][0] + min(r["bin"][1], 1.0)) / 2 for r in rows])
        wid = np.array([min(r["bin"][1], 1.0) - r["bin"][0] for r in rows])
        rate = np.array([100 * r["wrong_rate"] for r in rows])
        for m, rt in zip(mid, rate):
            if rt == 0:
                ax1.text(m, 1.3e-3, "0", ha="center", fontsize=7, color=col)
        ax1.bar(mid + (i - (len(recs) - 1) / 2) * wid * width, rate, width=wid * width, color=col,
                label=f"{label}: {100 * tail['probe_wrong_rate']:.2f}% wrong overall")
        ax2.bar(mid + (i - (len(recs) - 1) / 2) * wid * width,
                [r["mean_pull_to_middle"] for r in rows], width=wid * width, color=col, label=label)
        p2 = tail["tables"]["p2 (X2's step)"]
        ax3.bar(np.arange(len(p2)) + (i - (len(recs) - 1) / 2) * width,
                [100 * r["wrong_rate"] for r in p2], width=width, color=col, label=label)
        ax3.set_xticks(np.arange(len(p2)), [f"{r['bin'][0]:g}" + (f"-{r['bin'][1] - 1:g}" if r["bin"][1] - r["bin"][0] > 1 else "")
                                        for r in p2])
    ax1.set_yscale("log")
    ax1.set_ylim(1e-3, 150)
    ax1.set_ylabel("wrong (|o - d| >= 0.04), % of the bin")
    ax2.axhline(0, color="k", lw=0.8)
    ax2.axhline(0.04, color="gray", ls=":", lw=1, label="0.04: the criterion")
    ax2.set_ylabel("mean pull towards 0.5, -(o - d) sign(d - 0.5)")
    for ax in (ax1, ax2):
        ax.set_xlabel("target d = 0.5 + (X1 + X2) / 4")
    ax3.set_xlabel("step of X2 (0 = the first pair)")
    ax3.set_ylabel("wrong, % of the bin")
    for ax in (ax1, ax2, ax3):
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18), frameon=False)
    cfg = recs[0][1]["config"]
    fig.suptitle(f"T={cfg['T']}, the paper's online rule after {cfg['max_sequences']:,} sequences "
                 f"(development runs {cfg['seed']}-{cfg['seed'] + cfg['n_seeds'] - 1}, "
                 f"{recs[0][1]['metrics']['tail']['n_probe']:,} fresh sequences each): the wrong "
                 "answers are the outermost targets, pulled towards 0.5", fontsize=10)
    fig.savefig(os.path.join(VIZ, "online_tail.png"), dpi=90, bbox_inches="tight")
    plt.close(fig)


def tail_records():
    names = (("runs 0-9, 250,000 sequences each", "online_tail_dev"),)
    return [(label, record(n)) for label, n in names if record(n) is not None]


def headline():
    """(cfg, params, history) of the headline record's run (results.json)."""
    return ap.saved_run(record_config("results"))


def main():
    os.makedirs(VIZ, exist_ok=True)
    if tail_records():
        fig_tail(tail_records())
    if sys.argv[1:] == ["tail"]:           # only the figure drawn from run records, no saved runs
        return
    cfg, params, hist = headline()
    runs = [("Adam speed variant (batches of 64)", cfg, hist)]
    online = record_config("online_T100_250k")
    if online is not None:
        runs.insert(0, ("paper's rule (sgd, 1 sequence per update)", online, ap.saved_run(online)[2]))
    fig_learning_curves(runs)
    fig_scatter(cfg, params, hist)
    fig_cell_states(cfg, params, hist)
    rnn, lstm = record_config("rnn_T100"), record_config("adam_T100_seed0")
    if rnn is not None and lstm is not None:
        fig_rnn_vs_lstm(ap.saved_run(lstm), ap.saved_run(rnn))
    print("wrote", ", ".join(sorted(os.listdir(VIZ))))


if __name__ == "__main__":
    main()
