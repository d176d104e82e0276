"""Static figures for two-sequence-noise -> viz/*.png, from the run records and their
saved runs (two_sequence_noise.saved_run; the headline's run is trained once if its
cache is missing; a runs/ record whose cache is missing is drawn from its record only).

  python3 two-sequence-noise/visualize_two_sequence_noise.py
"""
import glob
import json
import os
import pickle
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import two_sequence_noise as tsn  # noqa: E402

VIZ = os.path.join(HERE, "viz")
COLORS = {"3a": "tab:blue", "3b": "tab:orange", "3c": "tab:green"}
COLORS_N1 = {"3a": "tab:purple", "3b": "tab:brown", "3c": "tab:olive"}


def color(c):
    """One colour per record: task and N (a changed ST1 rule in pink)."""
    if c["st1_wrong"] != tsn.Config.RULES[c["variant"]]["st1_wrong"]:
        return "tab:pink"
    return (COLORS if c["N"] == 3 else COLORS_N1)[c["variant"]]


def records():
    """[(name, record)]: the headline first, then runs/*.json of the paper's tasks."""
    out = [("results.json", json.load(open(os.path.join(HERE, "results.json"))))]
    for p in sorted(glob.glob(os.path.join(HERE, "runs", "*.json"))):
        out.append((os.path.relpath(p, HERE), json.load(open(p))))
    return out


def cached(rec, train_if_missing=False):
    """(cfg, model, history) of a record's saved run, or None if not cached."""
    cfg = tsn.Config(**{k: tuple(v) if isinstance(v, list) else v
                        for k, v in rec["config"].items()})
    if train_if_missing:
        return tsn.saved_run(cfg)
    path = tsn.cache_path(cfg)
    if not os.path.exists(path):
        return None
    with open(path, "rb") as fh:
        s = pickle.load(fh)
    return cfg, s["model"], s["history"]


def one_run(params, r):
    return {k: v[r:r + 1] for k, v in params.items()}


def median_run(hist):
    """Index of the run with the median ST2 count (runs that did not stop count as last)."""
    st2 = np.array(hist["st2_at"], float)
    st2[st2 == 0] = np.inf
    order = np.argsort(st2, kind="stable")
    return int(order[(len(order) - 1) // 2])


def replay(cfg, params, cls, seed=12345):
    """One test sequence of class cls through one run's params: x, d0, o, cache."""
    rng = np.random.default_rng(seed)
    while True:
        x, lengths, d, d0, c = tsn.make_batch(rng, tsn.task(cfg), 1)
        if c[0] == cls:
            break
    o, cache = tsn.forward(params, x[:, None], lengths[None], cfg.n_blocks, cfg.block_size,
                           cfg.output_lag)
    return x[:, 0, 0], float(d0[0]), float(o[0, 0]), cache


def learning_curves(recs):
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), constrained_layout=True)
    for name, rec in recs:
        saved = cached(rec)
        if saved is None:
            continue
        cfg, _, h = saved
        m, sfx = rec["metrics"], tsn.row(cfg)
        paper = tsn.PAPER["metrics"].get("sequences_to_st2" + sfx)
        tag = "" if color(rec["config"]) != "tab:pink" else " (no ST1)"
        lab = (f"{cfg.variant}{tag}, T={cfg.T}, N={cfg.N}: {m['n_solved']}/{m['n_seeds']} stopped, "
               + (f"mean {m['sequences_to_st2' + sfx]:,.0f}" if m["n_solved"] else "no mean")
               + f" (paper {paper:,})")
        col = color(rec["config"])
        seen, mae = np.array(h["seen"]), np.array(h["check_mae"])
        # a stopped run keeps its last check value
        st2 = np.array(h["st2_at"])
        for r in range(mae.shape[1]):
            if st2[r]:
                mae[seen > st2[r], r] = mae[seen == st2[r], r]
        lo, med, hi = np.percentile(mae, [10, 50, 90], axis=1)
        axes[0].fill_between(seen, lo, hi, color=col, alpha=0.2, lw=0)
        axes[0].plot(seen, med, color=col, label=f"{lab} (median, 10-90%)")
        frac = [(st2[st2 > 0] <= s).sum() / len(st2) for s in seen]
        axes[1].step(seen, frac, where="post", color=col, label=lab)
        if paper:
            axes[1].axvline(paper, color=col, ls="--", lw=1)
        axes[0].axhline(cfg.stop_mae, color=col, ls=":", lw=1)
    axes[0].set(xscale="log", yscale="log", xlabel="training sequences per run",
                ylabel="mean |o - d| on 256 fresh test sequences",
                title="stopping-check error, median and 10-90% band over runs\n(a stopped run keeps its last value); "
                      "dotted: ST2 threshold")
    axes[1].set(xscale="log", xlabel="training sequences per run", ylim=(-0.02, 1.02),
                ylabel="fraction of runs that met ST2",
                title="runs stopped; dashed: the paper's mean count\n(Tables 5-7, mean of 10)")
    handles, labels = axes[1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2, fontsize=8)
    fig.savefig(os.path.join(VIZ, "learning_curves.png"), dpi=110)
    plt.close(fig)


def strip(recs):
    """Per-trial ST2 counts of every record, the paper's mean as a black bar."""
    rows = [(n, r) for n, r in recs if r["config"]["variant"] in COLORS]
    fig, ax = plt.subplots(figsize=(8, 1.3 + 0.6 * len(rows)), constrained_layout=True)
    rng = np.random.default_rng(0)
    labels = []
    for i, (name, rec) in enumerate(rows):
        m, c = rec["metrics"], rec["config"]
        sfx = tsn.row(tsn.make_config(variant=c["variant"], T=c["T"], N=c["N"]))
        st2 = np.array([p["st2"] for p in m["per_run"]], float)
        ok = st2 > 0
        y = i + rng.uniform(-0.15, 0.15, size=len(st2))
        ax.scatter(st2[ok], y[ok], s=18, color=color(c), zorder=3)
        if (~ok).any():
            ax.scatter(np.full((~ok).sum(), c["max_sequences"]), y[~ok], marker="x", s=25,
                       color="red", zorder=3)
        if ok.sum() > 1:
            ax.plot([st2[ok].mean()] * 2, [i - 0.3, i + 0.3], color=color(c), lw=2)
        paper = tsn.PAPER["metrics"].get("sequences_to_st2" + sfx)
        if paper:
            ax.plot([paper] * 2, [i - 0.3, i + 0.3], color="black", lw=2)
        tag = "" if color(c) != "tab:pink" else " (no ST1)"
        labels.append(f"{c['variant']}{tag} T={c['T']} N={c['N']}: {ok.sum()}/{len(st2)} stopped\n"
                      + (f"mean {np.mean(st2[ok]):,.0f}" if ok.any() else "no mean")
                      + f" (paper {paper:,})")
    ax.set_yticks(range(len(rows)), labels)
    ax.set_xscale("log")
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_xlabel("training sequences to ST2, per run (log scale)")
    ax.set_title("Sequences to the paper's stopping rule: one dot per trial (red x: budget,\n"
                 "not met), coloured bar: our mean, black bar: the paper's mean", fontsize=10)
    fig.savefig(os.path.join(VIZ, "trial_counts.png"), dpi=110)
    plt.close(fig)


def cell_states(rec):
    cfg, model, h = cached(rec, train_if_missing=True)
    r = median_run(h)
    params = one_run(model, r)
    C, nb = cfg.n_blocks * cfg.block_size, cfg.n_blocks
    fig, axes = plt.subplots(4, 1, figsize=(9, 8.5), sharex=True, constrained_layout=True)
    for cls, ls in ((1, "-"), (2, "--")):
        x, d0, o, cache = replay(cfg, params, cls)
        S, A, tb = cache["S"][:, 0, 0], cache["A"][:, 0, 0], int(cache["tb"][0, 0])
        t = np.arange(len(S))
        axes[0].plot(np.arange(len(x)), x, ls, lw=0.8, color="k" if cls == 1 else "tab:gray",
                     label=f"class {cls} (target {d0:g}, output {o:.3f})")
        for v in range(C):
            axes[1].plot(t, S[:, v], ls, color=f"C{v}", label=f"cell {v + 1}" if cls == 1 else None)
        for j in range(nb):
            axes[2].plot(t, A[:, C + j], ls, color=f"C{j}",
                         label=f"input gate {j + 1}" if cls == 1 else None)
            axes[3].plot(t, A[:, C + nb + j], ls, color=f"C{j}",
                         label=f"output gate {j + 1}" if cls == 1 else None)
    for ax in axes:
        ax.axvspan(-0.5, cfg.N - 0.5, color="gold", alpha=0.3, lw=0)
        ax.axvline(tb, color="k", ls=":", lw=1)
    axes[0].set(ylabel="input x(t)")
    axes[1].set(ylabel="cell state s(t)")
    axes[2].set(ylabel="input gate", ylim=(-0.02, 1.02))
    axes[3].set(ylabel="output gate", ylim=(-0.02, 1.02), xlabel="time step t "
                "(gold: the N class-carrying steps; dotted: the step the output reads)")
    for ax in axes:
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    axes[0].set_title(f"Task {cfg.variant}, run {cfg.seed + r} (median ST2 count) after training, "
                      "solid class 1, dashed class 2:\none cell moves up for class 1 and down "
                      "for class 2 and keeps moving to the end; the output reads its sign")
    fig.savefig(os.path.join(VIZ, "cell_states.png"), dpi=100)
    plt.close(fig)


def main():
    os.makedirs(VIZ, exist_ok=True)
    recs = records()
    cell_states(recs[0][1])
    learning_curves(recs)
    strip(recs)
    print("wrote", ", ".join(sorted(os.listdir(VIZ))))


if __name__ == "__main__":
    main()
