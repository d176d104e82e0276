"""Figures for noise-free-long-lag -> noise-free-long-lag/viz/*.png.

Reads the run records (results.json, runs/*.json) and the saved runs the headline
and record commands cached (noise_free_long_lag.saved_run; a record whose run is not
cached is drawn from its record only, never retrained here, except the headline).

  python3 noise-free-long-lag/visualize_noise_free_long_lag.py
"""
import glob
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import noise_free_long_lag as nf  # noqa: E402

VIZ = os.path.join(HERE, "viz")


def records():
    """[(name, record)] on reporting seeds: the headline first, then runs/*.json sorted by
    name (the development diagnostics are left out of the figures)."""
    out = [("results", json.load(open(os.path.join(HERE, "results.json"))))]
    for path in sorted(glob.glob(os.path.join(HERE, "runs", "*.json"))):
        rec = json.load(open(path))
        if rec["seeds"]["role"] == "reporting":
            out.append((os.path.basename(path)[:-5], rec))
    return out


def config_of(rec):
    fields = {k: (tuple(v) if isinstance(v, list) else v) for k, v in rec["config"].items()}
    return nf.Config(**fields)


def cached(rec, train_if_missing=False):
    """(cfg, model, history) of a record's saved run, or None if it is not cached."""
    cfg = config_of(rec)
    if not train_if_missing and not os.path.exists(nf.cache_path(cfg)):
        return None
    return nf.saved_run(cfg)


def label(rec):
    c, m = rec["config"], rec["metrics"]
    net = "BPTT net" if c["model"] == "bptt" else "LSTM"
    lag = f"q={c['q']}, p={c['p']}" if c["task"] == "c" else f"p={c['p']}"
    return f"2{c['task']} {lag}, {net}: {m['n_solved']}/{m['n_seeds']} succeed"


def paper_number(cfg):
    """The paper's mean count for exactly this setting (LSTM), else None."""
    if cfg.model != "lstm":
        return None
    exact = f"sequences_to_success_c_q{cfg.q}_p{cfg.p}" if cfg.task == "c" else (
        f"sequences_to_success_{cfg.task}" if cfg.p == 100 else None)
    return nf.PAPER["metrics"].get(exact) if exact else None


def showcase(hist):
    """The run with the median final training error (representative, not the best)."""
    e = np.array(hist["err"][-1])
    return int(np.argsort(e)[len(e) // 2])


def test_pair(cfg):
    """The two test sequences of 2a (x- and y-sequence), or one of each class for 2b/2c."""
    rng = np.random.default_rng(0)
    if cfg.task == "a":
        p = cfg.p
        return np.stack([np.r_[f, np.arange(p - 1), f] for f in (p - 1, p)])[None], None, None
    seqs = []
    while len(seqs) < 2:
        s, L, c = nf.draw(cfg, rng, 1)
        if (c is None and s[0, 0] == cfg.p - 1 + len(seqs)) or (c is not None and c[0] == len(seqs)):
            seqs.append((s, L, c))
    if cfg.task == "b":
        return np.concatenate([s[0] for s in seqs])[None], None, None
    return nf.stack([(np.concatenate([s[0][:, :min(x[0].shape[1] for x in seqs)] for s in seqs]),
                      np.array([min(x[1][0] for x in seqs)] * 2), np.array([0, 1]))])


def replay(cfg, params1, seq, lengths, cls):
    """Cell state, input gate and output activations of one run on the test pair."""
    if cfg.task == "c":
        o, cache = nf.forward_c(params1, seq, lengths)
        C = nf.N_CELLS
        return {"s": cache["S"][:, 0], "in": cache["A"][:, 0, :, C:2 * C], "o": o[0],
                "L": int(lengths.min())}
    o, cache = nf.forward_ab(params1, seq)                     # LSTM only (see fig_cell_states)
    return {"s": cache["y"][0].T[..., None], "in": cache["y_in"][0].T[..., None], "o": o[0],
            "L": seq.shape[-1] - 1}


def fig_learning_curves(recs):
    """Judged error per run over training, median and 10-90% band, one panel per record."""
    shown = [(n, r, c) for n, r in recs for c in [cached(r, n == "results")] if c]
    ncol = min(3, len(shown))
    nrow = -(-len(shown) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.9 * nrow), squeeze=False,
                             constrained_layout=True)
    for ax in axes.flat[len(shown):]:
        ax.axis("off")
    for ax, (name, rec, (cfg, model, hist)) in zip(axes.flat, shown):
        x, e = np.array(hist["seen"]), np.array(hist["err"])
        ax.fill_between(x, *np.percentile(e, [10, 90], axis=1), color="tab:blue", alpha=0.25,
                        label="10-90% of runs")
        ax.plot(x, np.median(e, axis=1), color="tab:blue", label="median run")
        ax.axhline(cfg.crit, color="k", ls=":", lw=1, label=f"criterion {cfg.crit:g}")
        paper = paper_number(cfg)
        if paper and paper <= x.max() * 1.5:
            ax.axvline(paper, color="tab:red", ls="--", lw=1, label=f"paper's mean {paper:,}")
        ax.set_xlabel("training sequences")
        ax.set_ylabel("judged |error| (mean over log window)")
        ax.set_ylim(0, 1.02)
        ax.set_title(label(rec), fontsize=9)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    n_ok = sum(r["metrics"]["n_solved"] for _, r, _ in shown)
    n_all = sum(r["metrics"]["n_seeds"] for _, r, _ in shown)
    where = [label(r).split(":")[0] for _, r, _ in shown if r["metrics"]["n_solved"]]
    fig.suptitle(f"Training error against the paper's success criterion: {n_ok} of {n_all} runs "
                 f"succeed" + (f" (all in {', '.join(where)})" if where else ""), fontsize=11)
    save(fig, "learning_curves.png")


def fig_strip(recs):
    """Per-trial sequences to success (dots) or the budget (x), with the paper's mean."""
    fig, ax = plt.subplots(figsize=(8, 0.8 + 0.55 * len(recs)))
    for i, (name, rec) in enumerate(recs):
        per = rec["metrics"]["per_run"]
        jitter = np.linspace(-0.15, 0.15, len(per))
        for j, r in enumerate(per):
            ax.plot(r["sequences"], i + jitter[j], "o" if r["solved"] else "x",
                    color="tab:green" if r["solved"] else "tab:red", ms=4)
        paper = paper_number(config_of(rec))
        if paper:
            ax.plot([paper] * 2, [i - 0.35, i + 0.35], color="k", lw=2)
    ax.set_yticks(range(len(recs)))
    ax.set_yticklabels([label(r) for _, r in recs], fontsize=8)
    ax.set_xscale("log")
    lo, hi = ax.get_xlim()
    ticks = [t for t in (500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000)
             if lo <= t <= hi]
    ax.set_xticks(ticks, [f"{t:,}" for t in ticks])
    ax.set_xlim(lo, hi)
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("training sequences (o: success; x: budget spent without success; "
                  "bar: the paper's mean)")
    ax.invert_yaxis()
    n_ok = sum(r["metrics"]["n_solved"] for _, r in recs)
    n_all = sum(r["metrics"]["n_seeds"] for _, r in recs)
    ax.set_title(f"Per-trial counts: {n_ok} of {n_all} runs over all records succeed", fontsize=10)
    save(fig, "per_trial_counts.png")


def fig_cell_states(recs):
    """Cell state and input gate over the test pair (x- and y-sequence), per cached record."""
    shown = [(n, r, c) for n, r in recs for c in [cached(r, n == "results")]
             if c and r["config"]["model"] == "lstm"]
    fig, axes = plt.subplots(2, len(shown), figsize=(3.4 * len(shown), 5.4), squeeze=False,
                             constrained_layout=True)
    for col, (name, rec, (cfg, model, hist)) in enumerate(shown):
        r = showcase(hist)
        seq, lengths, cls = test_pair(cfg)
        rp = replay(cfg, nf.take(model, [r]), seq, lengths, cls)
        t = np.arange(rp["L"])
        for b, (c, lab) in enumerate((("tab:blue", "x-sequence"), ("tab:orange", "y-sequence"))):
            for v in range(rp["s"].shape[-1]):
                axes[0, col].plot(t, rp["s"][:rp["L"], b, v], color=c, lw=1.2,
                                  ls="-" if v == 0 else "--", label=lab if v == 0 else None)
                axes[1, col].plot(t, rp["in"][:rp["L"], b, v], color=c, lw=1.0,
                                  ls="-" if v == 0 else "--")
        axes[0, col].set_title(f"{label(rec)}\nrun {cfg.seed + r} (median final error)", fontsize=8)
        axes[0, col].set_ylabel("cell state s_c(t)")
        axes[1, col].set_ylabel("input gate y_in(t)")
        axes[1, col].set_xlabel("time step")
        axes[1, col].set_ylim(-0.02, 1.02)
        axes[0, col].legend(fontsize=7, loc="upper left")
    fig.suptitle("Cell state and input gate over one x- and one y-sequence "
                 "(2c: solid cell 1, dashed cell 2)", fontsize=10)
    save(fig, "cell_states.png")


def save(fig, name):
    os.makedirs(VIZ, exist_ok=True)
    fig.savefig(os.path.join(VIZ, name), dpi=90, bbox_inches="tight")
    plt.close(fig)
    print("wrote", os.path.join(VIZ, name))


def main():
    recs = records()
    fig_learning_curves(recs)
    fig_strip(recs)
    fig_cell_states(recs)


if __name__ == "__main__":
    main()
