"""Static figures for the 8-3-8 encoder -> viz/*.png.

Loads the headline run with encoder_backprop_8_3_8.saved_run() (and the modern variant's
saved run; each is trained once if missing) and the 900-seed run records in runs/.

    python3 encoder-backprop-8-3-8/visualize_encoder_backprop_8_3_8.py
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
import encoder_backprop_8_3_8 as enc  # noqa: E402

VIZ = os.path.join(HERE, "viz")
COLORS = plt.cm.tab10(np.arange(8))
CORNERS = np.array([[(k >> 2) & 1, (k >> 1) & 1, k & 1] for k in range(8)], float)
EDGES = [(a, b) for a in range(8) for b in range(a + 1, 8) if bin(a ^ b).count("1") == 1]
SETTING_COLORS = {"paper's recipe (squared error)": "tab:blue",
                  "modern variant (cross-entropy)": "tab:orange"}
BIG_RECORDS = {"paper's recipe (squared error)": "runs/seeds10100-10999.json",
               "modern variant (cross-entropy)": "runs/modern-seeds10100-10999.json"}


def save(fig, name):
    path = os.path.join(VIZ, name + ".png")
    fig.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(fig)
    print(f"wrote {os.path.relpath(path)} ({os.path.getsize(path) // 1024} KB)")


def draw_cube(ax, h, title, highlight=(), fontsize=9):
    """The eight hidden vectors h (8, 3) as dots in the unit cube; highlight: ringed dots."""
    for a, b in EDGES:
        ax.plot(*CORNERS[[a, b]].T, color="0.8", lw=0.8)
    for p in range(h.shape[0]):
        big = p in highlight
        ax.scatter(*h[p], s=90 if big else 50, color=COLORS[p], edgecolor="k" if big else "none",
                   linewidth=1.5, depthshade=False)
        ax.text(*(h[p] + 0.06), str(p), fontsize=fontsize)
    ax.set_xlim(0, 1); ax.set_ylim(0, 1); ax.set_zlim(0, 1)
    ax.set_xticks([0, 0.5, 1]); ax.set_yticks([0, 0.5, 1]); ax.set_zticks([0, 0.5, 1])
    ax.tick_params(labelsize=max(8, fontsize - 1), pad=0)          # >= 8 pt: >= 10 px in the GIF
    ax.set_xlabel("h1", fontsize=fontsize, labelpad=-2)
    ax.set_ylabel("h2", fontsize=fontsize, labelpad=-2)
    ax.set_zlabel("h3", fontsize=fontsize, labelpad=-2)
    ax.set_title(title, fontsize=fontsize + 1)


def showcase_label(cfg, metrics, name):
    """Panel label of a showcase net: which seed, and how it stands among the runs."""
    s = metrics["showcase"][name]
    if name == "solved":
        return f"seed {s['seed']}: solved at sweep {s['solve_epoch']}\n(the median strict solve)"
    return (f"seed {s['seed']}: stuck (one of {metrics['stuck']['n_stuck_7_codes']} stuck\n"
            f"single attempts of {metrics['n_seeds']})")


def mid_values(metrics):
    """How many of the 24 hidden values of each showcase net lie between 0.1 and 0.9."""
    n = {k: v["hidden_values_between_0.1_and_0.9"] for k, v in metrics["showcase"].items()}
    return f"{n['solved']} (solved) and {n['stuck']} (stuck) of 24 hidden values between 0.1 and 0.9"


def final_hidden(history, name):
    return history["showcase"][name]["snapshots"][-1][1]


def fig_cube(cfg, model, history, metrics):
    fig = plt.figure(figsize=(11, 5.4))
    for i, name in enumerate(["solved", "stuck"]):
        h = final_hidden(history, name)
        nd = int(enc.n_distinct(enc.codes(h[None]))[0])
        pair = enc.shared_pair(h) if nd < 8 else ()
        ax = fig.add_subplot(1, 2, i + 1, projection="3d")
        extra = f"; {pair[0]} and {pair[1]} share an octant (ringed)" if pair else \
            ": every pattern in its own octant"
        draw_cube(ax, h, f"{showcase_label(cfg, metrics, name)}\n{nd} distinct codes{extra}",
                  highlight=pair)
    fig.suptitle(f"Hidden vectors after {cfg.showcase_epochs} sweeps (paper's recipe): both nets "
                 f"reconstruct all 8 patterns; {mid_values(metrics)}", fontsize=11, y=1.04)
    save(fig, "hidden_codes_cube")


def fig_code_table(cfg, model, history, metrics):
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.4))
    for ax, name in zip(axes, ["solved", "stuck"]):
        h = final_hidden(history, name)
        c = enc.codes(h[None])[0]
        ax.imshow(h, cmap="gray_r", vmin=0, vmax=1, aspect="auto")     # on = dark
        for p in range(8):
            for j in range(3):
                ax.text(j, p, f"{h[p, j]:.2f}", ha="center", va="center",
                        color="w" if h[p, j] > 0.5 else "k", fontsize=9)
        ax.set_yticks(range(8))
        ax.set_yticklabels([f"pattern {p} -> {c[p]:03b}" for p in range(8)])
        ax.set_xticks(range(3)); ax.set_xticklabels(["h1", "h2", "h3"])
        nd = int(enc.n_distinct(c[None])[0])
        ax.set_title(f"seed {metrics['showcase'][name]['seed']} ({name}): {nd} distinct codes",
                     fontsize=10)
    fig.suptitle(f"Hidden activations after {cfg.showcase_epochs} sweeps (dark = on): "
                 f"{mid_values(metrics)}", fontsize=11)
    fig.tight_layout()
    save(fig, "code_table")


def fig_weights(cfg, model, history, metrics):
    P = model["showcase"]["solved"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), gridspec_kw={"width_ratios": [3, 8]})
    for ax, W, title, ylab, xlab in [
            (axes[0], P["W_hi"][0], "input -> hidden", [f"in {i}" for i in range(8)] + ["bias"],
             ["h1", "h2", "h3"]),
            (axes[1], P["W_oh"][0], "hidden -> output", ["h1", "h2", "h3", "bias"],
             [f"out {i}" for i in range(8)])]:
        lim = np.abs(W).max()
        im = ax.imshow(W, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
        ax.set_yticks(range(len(ylab))); ax.set_yticklabels(ylab)
        ax.set_xticks(range(len(xlab))); ax.set_xticklabels(xlab, rotation=45)
        ax.set_title(f"{title} (max |w| = {lim:.1f})", fontsize=10)
        fig.colorbar(im, ax=ax, shrink=0.8, label="weight")
    fig.suptitle(f"Weights of the solved showcase net (seed {metrics['showcase']['solved']['seed']}"
                 f", {cfg.showcase_epochs} sweeps)\ninput i reaches hidden unit j through one "
                 "weight: its sign is bit j of pattern i's code", fontsize=11)
    fig.tight_layout()
    save(fig, "weights")


def learned_curve(hist, n_patterns):
    """Fraction of runs that have learned (all patterns reconstructed) and that are strictly
    solved, per logged sweep; a run that stopped at its strict solve counts as both."""
    rec = np.where(np.isnan(hist["reconstructed"]), n_patterns, hist["reconstructed"])
    se = hist["solve_epoch"]
    strict = np.array([np.mean((se >= 0) & (se <= t)) for t in hist["t"]])
    return (rec == n_patterns).mean(1), strict


def fig_curves(runs):
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
    for label, (cfg, model, history, metrics) in runs.items():
        h1, c = history["single"], SETTING_COLORS[label]
        t = np.maximum(h1["t"], 1)
        learned, strict = learned_curve(h1, cfg.n_patterns)
        axes[0].plot(t, learned, color=c, lw=2, label=f"{label}: learned")
        axes[0].plot(t, strict, color=c, lw=2, ls="--", label=f"{label}: 8 distinct codes")
        loss = h1["loss"]
        alive = (~np.isnan(loss)).sum(1) >= 5
        lo, med, hi = (np.nanpercentile(loss[alive], p, axis=1) for p in (10, 50, 90))
        axes[1].fill_between(t[alive], lo, hi, color=c, alpha=0.25, lw=0)
        axes[1].plot(t[alive], med, color=c, lw=2, label=f"{label}: median, 10-90% band")
    paper = enc.PAPER["metrics"][cfg.verdict_metric]
    axes[0].axhline(paper * (1 - cfg.verdict_tol), color="k", ls=":", lw=1,
                    label="verdict threshold (learned)")
    axes[0].set_ylim(0, 1.02)
    axes[0].set_ylabel("fraction of single attempts")
    axes[0].set_title("Every attempt learns the mapping; 8 distinct codes level off below",
                      fontsize=10)
    axes[1].set_yscale("log")
    axes[1].set_ylabel("error E of its own loss")
    axes[1].set_title("Error of the runs still training (solved runs leave the batch)",
                      fontsize=10)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("sweeps (log)")
        ax.legend(fontsize=8, loc="lower left" if ax is axes[1] else "center left")
    n = next(iter(runs.values()))[3]["n_seeds"]
    fig.suptitle(f"Single attempts on {n} reporting seeds: learned = all 8 patterns "
                 "reconstructed; dashed = also 8 distinct binary codes", fontsize=11)
    fig.tight_layout()
    save(fig, "training_curves")


def fig_histogram(runs):
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), sharey=True)
    for ax, (label, (cfg, model, history, m)) in zip(axes, runs.items()):
        se = history["single"]["solve_epoch"]
        tot = history["restart"]["total_epochs"]
        bins = np.logspace(2, np.log10(cfg.max_epochs), 30)
        ok = se >= 0
        ax.hist(se[ok], bins=bins, alpha=0.7, color=SETTING_COLORS[label],
                label=f"single attempt: {ok.sum()} strict solves "
                      f"({(~ok).sum()} none within {cfg.max_epochs:,})")
        ax.hist(tot, bins=bins, histtype="step", lw=2, color="k",
                label="restarts (ours): total sweeps per seed")
        ax.axvline(m["restart_epochs"], color="tab:red", ls="--",
                   label=f"restart cutoff K = {m['restart_epochs']}")
        ax.axvline(m["median_epochs"], color="0.3", ls=":",
                   label=f"single-attempt median {m['median_epochs']:.0f}")
        ax.set_xscale("log")
        ax.set_xlabel("sweeps to 8 distinct codes (log)")
        ax.set_title(f"{label}, eta {cfg.lr:g}", fontsize=10)
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=1,
                  frameon=False)
    axes[0].set_ylabel("seeds")
    fig.suptitle("Sweeps to a strict 3-bit code: restarting at K solves the tail that a single "
                 "attempt leaves unsolved", fontsize=11)
    save(fig, "epochs_histogram")


def fig_restart_cost(runs):
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for label, (cfg, model, history, m) in runs.items():
        se = history["single"]["solve_epoch"]
        Ks = np.unique(np.geomspace(50, cfg.max_epochs, 200).astype(int))
        cost = [enc.expected_restart_cost(se, K) for K in Ks]
        c = SETTING_COLORS[label]
        ax.plot(Ks, cost, color=c, label=f"{label}: best K = {m['restart_epochs']}, "
                f"{m['expected_epochs_with_restarts_est']:.0f} sweeps expected")
        ax.plot([m["restart_epochs"]], [m["expected_epochs_with_restarts_est"]], "o", color=c)
    ax.set_xscale("log"); ax.set_yscale("log")
    ax.set_xlabel("restart cutoff K (sweeps)")
    ax.set_ylabel("expected sweeps to a strict solve")
    ax.set_title("Choosing K from the single-attempt times: E[min(T, K)] / P(T <= K)",
                 fontsize=10)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False)
    save(fig, "restart_cost")


def load_big_records():
    """{label: metrics['stuck']} of the 900-seed run records that exist."""
    out = {}
    for label, rel in BIG_RECORDS.items():
        p = os.path.join(HERE, rel)
        if os.path.isfile(p):
            with open(p) as fh:
                rec = json.load(fh)
            out[label] = (rec["metrics"]["stuck"], rec["seeds"]["used"])
    return out


def panel_pairs(ax, fig, stats):
    counts = np.zeros((8, 8))
    pairs = [(i, j) for i in range(8) for j in range(i + 1, 8)]
    for st, _ in stats.values():
        for (i, j), c in zip(pairs, st.get("pair_counts", [0] * 28)):
            counts[i, j] += c
            counts[j, i] += c
    np.fill_diagonal(counts, np.nan)                      # a pattern cannot pair with itself
    im = ax.imshow(counts, cmap="viridis", vmin=0)
    ax.set_xticks(range(8)); ax.set_yticks(range(8))
    ax.set_xlabel("pattern"); ax.set_ylabel("pattern")
    n_tot = sum(st["n_stuck_7_codes"] for st, _ in stats.values())
    chi = ", ".join(f"{st['pair_chi2']:.1f}" for st, _ in stats.values())
    ax.set_title(f"Which pair shares ({n_tot} stuck runs): no favourite\n"
                 f"chi-square vs uniform: {chi} on 27 dof", fontsize=9)
    fig.colorbar(im, ax=ax, label="stuck runs")


def fig_stuck_pairs():
    stats = load_big_records()
    if not stats:
        print("no 900-seed run records in runs/: stuck_pairs.png not drawn")
        return
    names = list(stats)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6))
    panel_pairs(axes[0], fig, stats)
    ranks = np.arange(1, 29)
    for n in names:
        st = stats[n][0]
        c = np.array(st["init_similarity_rank_counts"], float)
        axes[1].step(ranks, c / c.sum(), where="mid", color=SETTING_COLORS[n],
                     label=f"{n}: mean rank {st['init_similarity_rank_mean']:.1f}")
    axes[1].axhline(1 / 28, color="k", ls=":", label="chance (mean rank 14.5)")
    axes[1].set_xlabel("rank of the stuck pair's initial similarity (1 = most alike of 28)")
    axes[1].set_ylabel("fraction of stuck runs")
    axes[1].set_title("Partly foretold: pairs that start alike stick together more often",
                      fontsize=9)
    axes[1].legend(fontsize=8, loc="upper right")
    x = np.arange(len(names))
    adj = [stats[n][0]["empty_corner_adjacent_frac"] for n in names]
    tow = [stats[n][0]["toward_empty_corner_frac"] for n in names]
    axes[2].bar(x - 0.2, adj, 0.4, color="tab:gray",
                label="unused corner is a neighbour of the shared one")
    axes[2].bar(x + 0.2, tow, 0.4, color="tab:red",
                label="pair member nearest 0.5 leans toward the unused corner")
    axes[2].hlines(3 / 7, -0.45, len(names) - 0.55, color="tab:gray", ls=":", label="chance 3/7")
    axes[2].hlines(1 / 7, -0.45, len(names) - 0.55, color="tab:red", ls=":", label="chance 1/7")
    axes[2].set_xticks(x)
    axes[2].set_xticklabels([f"{n.split(' (')[0]}\n({stats[n][0]['n_stuck_7_codes']} stuck runs)"
                             for n in names], fontsize=8)
    axes[2].set_ylim(0, 1)
    axes[2].set_ylabel("fraction of stuck runs")
    axes[2].set_title("Where: the empty corner is no closer than chance;\n"
                      "the near-threshold member leans toward it", fontsize=9)
    axes[2].legend(fontsize=7, loc="upper right")
    used = next(iter(stats.values()))[1]
    fig.suptitle(f"Single attempts stuck at 7 distinct codes, reporting seeds {used[0]}-"
                 f"{used[1] - 1}", fontsize=11)
    fig.tight_layout()
    save(fig, "stuck_pairs")


def main():
    runs = {}
    for label, cfg in (("paper's recipe (squared error)", enc.make_config()),
                       ("modern variant (cross-entropy)", enc.make_config(modern=True))):
        cfg, model, history = enc.saved_run(cfg)
        runs[label] = (cfg, model, history, enc.summarise(cfg, model, history))
    os.makedirs(VIZ, exist_ok=True)
    head = runs["paper's recipe (squared error)"]
    for f in (fig_cube, fig_code_table, fig_weights):
        f(*head)
    fig_curves(runs)
    fig_histogram(runs)
    fig_restart_cost(runs)
    fig_stuck_pairs()


if __name__ == "__main__":
    main()
