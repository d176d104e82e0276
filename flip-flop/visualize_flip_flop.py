"""Static figures for flip-flop -> flip-flop/viz/*.png.

Loads the saved headline run (flip_flop.saved_run(): the run the headline command
made; trains it once only when none is saved) and the run records results.json,
runs/gradients.json, runs/more_seeds.json and runs/lag_sweep.json. No training
code lives here: the figures call flip_flop's evaluate / frozen_run / step.

  python3 flip-flop/visualize_flip_flop.py
"""
from __future__ import annotations

import json
import os
import sys
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import flip_flop as ff  # noqa: E402

VIZ = os.path.join(HERE, "viz")
COL = {"sequential": "tab:blue", "parallel": "tab:orange"}
EV_NAMES = np.array(["A", "B", "X"])
REGIMES = ("sequential", "parallel")


def load_record(name):
    """A run record of this stub ('results' or a runs/ name), or None if it is missing."""
    path = os.path.join(HERE, "results.json" if name == "results" else f"runs/{name}.json")
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        return json.load(fh)


def sub(params, j):
    return {k: v[j:j + 1] for k, v in params.items()}


def pick_run(runs, ev, regime="parallel", variant="full"):
    """Index of the first solved run of the given regime/variant (else the first one)."""
    sel = np.flatnonzero((runs["regime"] == regime) & (runs["variant"] == variant))
    ok = sel[ev["solved"][sel]]
    return int(ok[0] if ok.size else sel[0])


def save(fig, name):
    fig.savefig(os.path.join(VIZ, name), dpi=100, bbox_inches="tight")
    plt.close(fig)


# ----------------------------------------------------------------------------
# Solve rates: the headline, the truncated gradient and 30 more seeds, from the records
# ----------------------------------------------------------------------------
def solve_rate_bars():
    """[(label, {regime: (k solved, n runs)}, first seed)] from the run records that exist."""
    out = []
    for name, key, label in (("results", None, "full gradient (headline)"),
                             ("gradients", "truncated", "truncated gradient"),
                             ("more_seeds", None, "full gradient")):
        rec = load_record(name)
        if rec is None:
            continue
        m = rec["metrics"] if key is None else rec["metrics"]["variants"][key]
        out.append((label, {r: (m["n_solved_" + r], m["n_" + r]) for r in REGIMES},
                    rec["seeds"]["used"][0]))
    return out


def fig_solve_rates(cfg):
    bars = solve_rate_bars()
    P = ff.PAPER["metrics"]
    fig, ax = plt.subplots(figsize=(9, 4.6))
    width = 0.8 / len(bars)
    ticks, names = [], []
    for g, regime in enumerate(REGIMES):
        for b, (label, kn, first) in enumerate(bars):
            k, n = kn[regime]
            x = g + (b - (len(bars) - 1) / 2) * width
            ax.bar(x, k / n, width * 0.9, color=COL[regime], alpha=[1.0, 0.45, 0.75][b],
                   hatch=["", "//", ".."][b], edgecolor="white")
            ax.text(x, k / n + 0.02, f"{k}/{n}", ha="center", fontsize=9)
            ticks.append(x)
            names.append(f"{label}\nseeds\n{first}-{first + n - 1}".replace(" (", "\n(", 1)
                         .replace("d g", "d\ng", 1))
        ax.text(g, 1.13, regime, ha="center", fontsize=11, color=COL[regime], weight="bold")
        paper = P["solved_" + regime]
        ax.hlines(paper, g - 0.45, g + 0.45, colors="k", linestyles="--")
        ax.text(g + 0.46, paper, f"paper\n{round(paper * P['n_' + regime])}/{P['n_' + regime]}",
                va="center", fontsize=8)
    ax.set_xticks(ticks, names, fontsize=7)
    ax.set_xlim(-0.5, len(REGIMES) - 0.3)
    ax.set_ylim(0, 1.2)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_ylabel(f"fraction of runs solved ({cfg.steps:,} steps)")
    above = all(kn[r][0] / kn[r][1] >= P["solved_" + r] for _, kn, _ in bars for r in REGIMES)
    ax.set_title(("Full and truncated RTRL through M solve " + ("at least" if above else
                  "not always") + " the paper's share of runs\n(dashed: the paper, within "
                  f"{P['max_steps']:,} steps)"), fontsize=10)
    save(fig, "solve_rates.png")


# ----------------------------------------------------------------------------
# Training curves: median and quartile band per regime
# ----------------------------------------------------------------------------
def band(vals):
    """Median and quartiles over runs per window while at least half the runs learn."""
    most = np.isfinite(vals).mean(1) >= 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        q = np.nanpercentile(vals, [25, 50, 75], axis=1)
    return np.where(most, q, np.nan)


def fig_training(cfg, hist):
    runs, steps = hist["runs"], hist["step"]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    keys = [("pain", "actual pain per step"), ("m_loss", "M's squared prediction error"),
            ("acc", "online accuracy (|y - d| < 0.5)")]
    for ax, (k, lab) in zip(axes, keys):
        for regime in REGIMES:
            sel = (runs["regime"] == regime) & (runs["variant"] == "full")
            lo, med, hi = band(hist[k][:, sel])
            ax.fill_between(steps, lo, hi, color=COL[regime], alpha=0.25, lw=0)
            ax.plot(steps, med, color=COL[regime],
                    label=f"{regime} ({sel.sum()} runs): median and quartiles while "
                          f"at least half of them learn")
        ax.axvline(cfg.model_steps, color="gray", lw=0.8)
        ax.set_xlabel("online step (thousands)")
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x / 1000:g}"))
        ax.set_ylabel(lab)
        if k != "acc":
            ax.set_yscale("log")
    axes[0].text(cfg.model_steps * 1.02, 0.97, "sequential: M frozen,\nC starts learning",
                 transform=axes[0].get_xaxis_transform(), va="top", fontsize=8, color="dimgray")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.02), ncol=2,
               fontsize=9, frameon=False)
    fig.suptitle("Pain falls and accuracy reaches 1 once M predicts the pain well; "
                 "sequential runs wait for M's model phase", fontsize=11)
    fig.tight_layout()
    save(fig, "training_curves.png")


# ----------------------------------------------------------------------------
# One trained run: a test episode, M's pain landscape, the weights
# ----------------------------------------------------------------------------
def event_bands(ax, events, labels=True):
    for tt, e in enumerate(events):
        if e != ff.EV_X:
            ax.axvspan(tt - 0.5, tt + 0.5, color="tab:green" if e == ff.EV_B else "tab:red",
                       alpha=0.18, lw=0)
            if labels:
                ax.text(tt, 1.08, EV_NAMES[e], ha="center", fontsize=7)


def fig_episode(cfg, params, j, who, T=90):
    ev = ff.make_events(np.random.default_rng(12345), 1, T)
    res = ff.frozen_run(sub(params, j), cfg, ev, record=True)
    tr, t = res["trace"], np.arange(T)
    fig, (a0, a1) = plt.subplots(2, 1, figsize=(11, 5), sharex=True,
                                 gridspec_kw={"height_ratios": [2, 1.3]})
    event_bands(a0, ev[:, 0])
    a0.step(t, tr["d"][:, 0], where="mid", color="k", lw=1.2, label="latch target d (hidden)")
    a0.plot(t, tr["y"][:, 0], "o-", ms=2.5, color="tab:orange", label="C's output y")
    a0.set_ylim(-0.1, 1.18)
    a0.set_ylabel("output")
    a0.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    a1.plot(t, tr["pain"][:, 0], color="tab:red", label="actual pain (y - d)^2")
    a1.plot(t, tr["q"][:, 0], "--", color="tab:purple", label="M's predicted pain")
    a1.set_ylabel("pain")
    a1.set_xlabel("time step of a fresh test stream (red: A resets, green: B sets)")
    a1.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    acc = float(res["test_accuracy"][0])
    a0.set_title(f"A trained controller holds the latch across X's: {acc:.0%} of steps "
                 f"correct; M's predicted pain tracks the actual pain\n({who})", fontsize=10)
    fig.tight_layout()
    save(fig, "test_episode.png")


def pain_landscape(params, cfg, events, t_probe, actions):
    """M's predicted pain q for every candidate action at the probe times.

    Runs the frozen system (C acting) on `events` (T, S); at each t in t_probe M's step
    is re-evaluated from the same state with a_t replaced by each candidate action.
    Returns q (len(t_probe), len(actions), S) and the latch d at the probe times.
    """
    S, dt = params["W_C"].shape[0], params["W_C"].dtype
    xin, dd = ff.stream_inputs(events, dt)
    st = ff.init_state(S, cfg.n_c, cfg.n_m, dt)
    zeros, no, yes = np.zeros(S, dt), np.zeros(S, dtype=bool), np.ones(S, dtype=bool)
    probe = set(int(t) for t in t_probe)
    qs, ds = [], []
    for t in range(events.shape[0]):
        if t in probe:
            qs.append([ff.step(params, st, xin[t], dd[t], zeros, yes, np.full(S, a), 0.0, 0.0,
                               c_grad=False, m_grad=False)[1]["q"] for a in actions])
        st, out = ff.step(params, st, xin[t], dd[t], zeros, no, zeros, 0.0, 0.0,
                          c_grad=False, m_grad=False)
        if t in probe:
            ds.append(out["d"])
    return np.array(qs), np.array(ds)


def fig_landscape(cfg, params, j, who):
    ev = ff.make_events(np.random.default_rng(7), 1, 400)
    probes = [t for t in range(50, 400) if ev[t, 0] == ff.EV_X][:40]
    acts = np.linspace(-0.3, 1.3, 33)
    q, d = pain_landscape(sub(params, j), cfg, ev, probes, acts)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for latch, c in ((0.0, "tab:red"), (1.0, "tab:green")):
        sel = d[:, 0] == latch
        if not sel.any():
            continue
        ax.plot(acts, q[sel, :, 0].T, color=c, alpha=0.25, lw=0.8)
        ax.plot(acts, (acts - latch) ** 2, "--", color=c, lw=1)
        ax.plot([], [], color=c, label=f"M's prediction after an X,\nlatch d = {latch:.0f}")
    ax.plot([], [], "--", color="gray", label="true pain (a - d)^2,\nin the latch's colour")
    ax.set_xlabel("candidate action a")
    ax.set_ylabel("predicted pain q")
    ax.set_ylim(-0.1, 1.2)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title("M remembers the latch through X steps: its pain valley sits at a = d,\n"
                 f"so dq/da pushes C the right way; far from C's actions M is wrong\n({who})",
                 fontsize=10)
    save(fig, "pain_landscape.png")


def fig_weights(cfg, params, j, who):
    W_C, W_M, V = params["W_C"][j], params["W_M"][j], params["V"][j]
    M = np.concatenate([W_M, V[:cfg.n_m, None]], axis=1)
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6),
                             gridspec_kw={"width_ratios": [W_C.shape[1], M.shape[1]]})
    lim = max(np.abs(W_C).max(), np.abs(M).max())
    cin = ["A", "B", "X", "1", "p"] + [f"h{i}" for i in range(cfg.n_c)]
    min_ = ["A", "B", "X", "1", "p", "a"] + [f"g{i}" for i in range(cfg.n_m)] + ["V"]
    axes[0].imshow(W_C, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
    for (r, c), w in np.ndenumerate(W_C):
        axes[0].text(c, r, f"{w:+.1f}", ha="center", va="center", fontsize=8,
                     color="white" if abs(w) > 0.6 * lim else "black")
    axes[0].set_xticks(range(len(cin)), cin)
    axes[0].set_yticks(range(cfg.n_c), ["y=h0"] + [f"h{i}" for i in range(1, cfg.n_c)])
    axes[0].set_title("C: W_C (rows: units, columns: inputs)", fontsize=9)
    im = axes[1].imshow(M, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
    axes[1].set_xticks(range(len(min_)), min_)
    axes[1].set_yticks(range(cfg.n_m), [f"g{i}" for i in range(cfg.n_m)])
    axes[1].set_title("M: W_M and the pain read-out V (last column)", fontsize=9)
    fig.colorbar(im, ax=axes, shrink=0.9, pad=0.02, label="weight")
    w = W_C[0]
    fig.suptitle(f"C's output unit latches by itself: self-weight {w[ff.N_IN_C]:+.1f}, "
                 f"B {w[ff.EV_B]:+.1f}, A {w[ff.EV_A]:+.1f}\n({who})", fontsize=11, y=1.07)
    save(fig, "weights.png")


# ----------------------------------------------------------------------------
# The lag sweep, from its run record
# ----------------------------------------------------------------------------
def fig_lags(rec):
    sw, cfg = rec["metrics"]["lag_sweep"], rec["config"]
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for regime in REGIMES:
        ax.plot(sw["lags"], sw["solved_" + regime], "o-", color=COL[regime],
                label=f"{regime}: solved")
        ax.plot(sw["lags"], sw["test_accuracy_" + regime], "s:", color=COL[regime],
                alpha=0.6, label=f"{regime}: test accuracy")
    ax.set_xscale("log")
    ax.set_xticks(sw["lags"], [str(v) for v in sw["lags"]])
    ax.set_xlabel("max lag L (X steps between A/B events ~ U{L/2..L})")
    ax.set_ylabel(f"fraction of {sw['n_per_lag']} runs / accuracy")
    ax.set_ylim(-0.05, 1.05)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ok = [lag for lag, a, b in zip(sw["lags"], sw["solved_sequential"], sw["solved_parallel"])
          if min(a, b) >= 0.5]
    bad = [lag for lag in sw["lags"] if not ok or lag > max(ok)]
    where = (f"between lags {max(ok)} and {min(bad)}" if ok and bad else "nowhere in the sweep")
    ax.set_title(f"Vanilla recurrent C and M (full RTRL, {cfg['steps']:,} steps) break down\n"
                 f"{where}: test accuracy falls to chance", fontsize=10)
    save(fig, "lag_sweep.png")


def main():
    os.makedirs(VIZ, exist_ok=True)
    cfg, params, hist = ff.saved_run()
    runs = hist["runs"]
    ev = ff.evaluate(params, cfg)
    j = pick_run(runs, ev)
    n_par = int(((runs["regime"] == "parallel") & (runs["variant"] == "full")).sum())
    n_ok = int(ev["solved"][(runs["regime"] == "parallel") & (runs["variant"] == "full")].sum())
    who = f"parallel run of seed {runs['seed'][j]}; {n_ok} of the {n_par} parallel runs solve"
    fig_solve_rates(cfg)
    fig_training(cfg, hist)
    fig_episode(cfg, params, j, who)
    fig_landscape(cfg, params, j, who)
    fig_weights(cfg, params, j, who)
    lag = load_record("lag_sweep")
    if lag is not None:
        fig_lags(lag)
    for f in sorted(os.listdir(VIZ)):
        print(f"viz/{f}: {os.path.getsize(os.path.join(VIZ, f)) // 1024} KB")


if __name__ == "__main__":
    main()
