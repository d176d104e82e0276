"""Static figures for the 8-3-8 encoder -> viz/*.png.

Loads the run saved by the headline command (.cache/run.pkl); if there is
none, runs the headline command once (without writing a run record) to make it.

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


def final_hidden(show):
    """Hidden activations (P, H) at the last snapshot of a showcase run."""
    return show["history"]["snapshots"][-1][1]


def draw_cube(ax, h, title, highlight=()):
    for a, b in EDGES:
        ax.plot(*CORNERS[[a, b]].T, color="0.8", lw=0.8)
    for p in range(h.shape[0]):
        big = p in highlight
        ax.scatter(*h[p], s=90 if big else 50, color=COLORS[p], edgecolor="k" if big else "none",
                   linewidth=1.5, depthshade=False)
        ax.text(*(h[p] + 0.06), str(p), fontsize=9)
    ax.set_xlim(0, 1); ax.set_ylim(0, 1); ax.set_zlim(0, 1)
    ax.set_xlabel("hidden 1"); ax.set_ylabel("hidden 2"); ax.set_zlabel("hidden 3")
    ax.set_title(title, fontsize=10)


def fig_cube(run, path):
    show = run["showcase"]
    n_att = show["solving_attempt"]["config"]["first_attempt"] + 1
    steps = show["first_attempt"]["config"]["max_epochs"]
    fig = plt.figure(figsize=(10, 5))
    stuck = ()
    for i, (key, label) in enumerate([("first_attempt", "attempt 1"),
                                      ("solving_attempt", f"attempt {n_att} (after restarts)")]):
        h = final_hidden(show[key])
        nd = int(enc.n_distinct(enc.codes(h[None]))[0])
        pair = enc.shared_pair(h) if nd == 7 else ()
        stuck = stuck or pair
        ax = fig.add_subplot(1, 2, i + 1, projection="3d")
        extra = f": {pair[0]} and {pair[1]} share an octant" if pair else ""
        draw_cube(ax, h, f"{label}, {nd} distinct codes{extra}", highlight=pair)
    what = (f"patterns {stuck[0]} and {stuck[1]} stay in one octant in the first attempt; "
            if stuck else "")
    seed = show["first_attempt"]["config"]["seed"]
    fig.suptitle(f"Seed {seed}, 1986 setting, hidden vectors after {steps} sweeps: {what}\n"
                 f"attempt {n_att} fills all 8 octants (neither puts every point on a corner)",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def fig_code_table(run, path):
    show = run["showcase"]
    fig, axes = plt.subplots(1, 2, figsize=(8, 4.2))
    for ax, key in zip(axes, ["first_attempt", "solving_attempt"]):
        h = final_hidden(show[key])
        c = enc.codes(h[None])[0]
        ax.imshow(h, cmap="gray_r", vmin=0, vmax=1, aspect="auto")
        for p in range(8):
            for j in range(3):
                ax.text(j, p, f"{h[p, j]:.2f}", ha="center", va="center",
                        color="w" if h[p, j] > 0.5 else "k", fontsize=9)
        ax.set_yticks(range(8))
        ax.set_yticklabels([f"pattern {p} -> {c[p]:03b}" for p in range(8)])
        ax.set_xticks(range(3)); ax.set_xticklabels(["h1", "h2", "h3"])
        nd = int(enc.n_distinct(c[None])[0])
        att = show[key]["config"]["first_attempt"] + 1
        ax.set_title(f"attempt {att}: {nd} distinct codes", fontsize=10)
    h = final_hidden(show["solving_attempt"])
    mid = int(((h > 0.1) & (h < 0.9)).sum())
    fig.suptitle(f"Code table (seed {show['first_attempt']['config']['seed']}, 1986 setting): "
                 f"even the solved net keeps {mid} of its 24 hidden values between 0.1 and 0.9",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def fig_weights(run, path):
    show = run["showcase"]["solving_attempt"]
    P = show["model"]
    W_hi, W_oh = P["W_hi"][0], P["W_oh"][0]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), gridspec_kw={"width_ratios": [3, 8]})
    for ax, W, title, ylab, xlab in [
            (axes[0], W_hi, "input -> hidden", [f"in {i}" for i in range(8)] + ["bias"],
             ["h1", "h2", "h3"]),
            (axes[1], W_oh, "hidden -> output", ["h1", "h2", "h3", "bias"],
             [f"out {i}" for i in range(8)])]:
        lim = np.abs(W).max()
        im = ax.imshow(W, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
        ax.set_yticks(range(len(ylab))); ax.set_yticklabels(ylab)
        ax.set_xticks(range(len(xlab))); ax.set_xticklabels(xlab, rotation=45)
        ax.set_title(f"{title} (max |w| = {lim:.1f})", fontsize=10)
        fig.colorbar(im, ax=ax, shrink=0.8, label="weight")
    fig.suptitle(f"Weights of the solved net (seed {show['config']['seed']}, attempt {show['config']['first_attempt'] + 1}, "
                 f"{show['config']['max_epochs']} sweeps): input i reaches hidden unit j "
                 "through one weight, so its sign (bias near 0) is bit j of pattern i's code",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def fig_curves(run, path):
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.5), sharex=True)
    for row, name in enumerate(enc.SETTINGS):
        if name not in run["runs"]:
            continue
        _, hist = run["runs"][name]["single"]
        ok = hist["solve_epoch"] >= 0
        t = hist["t"]
        for col, (key, ylab) in enumerate([("loss", "error E"),
                                           ("reconstructed", "patterns reconstructed"),
                                           ("distinct_codes", "distinct binary codes")]):
            ax = axes[row, col]
            for s in range(hist[key].shape[1]):
                ax.plot(np.maximum(t, 1), hist[key][:, s], lw=0.5, alpha=0.5,
                        color="tab:blue" if ok[s] else "tab:red")
            ax.set_xscale("log")
            ax.set_ylabel(ylab)
            if key == "loss":
                ax.set_yscale("log")
            else:
                ax.axhline(8, color="k", ls=":", lw=1)
            if row == 1:
                ax.set_xlabel("sweeps (log)")
        axes[row, 0].set_title(f"{name} ({run['runs'][name]['config']['loss']}): "
                               f"{ok.sum()}/{ok.size} solved (blue), unsolved red", fontsize=9)
    fig.suptitle("Training curves, single attempt, 100 seeds: unsolved runs reconstruct all 8 "
                 "patterns but stop at 7 distinct codes", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def fig_histogram(run, path):
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, name in zip(axes, enc.SETTINGS):
        if name not in run["runs"]:
            continue
        cfg = run["runs"][name]["config"]
        se = run["runs"][name]["single"][1]["solve_epoch"]
        tot = run["runs"][name]["restart"][1]["total_epochs"]
        K = run["metrics"]["restart_epochs"] if name == run["metrics"]["setting"] else \
            run["metrics"]["variants"][name]["restart_epochs"]
        bins = np.logspace(2, np.log10(cfg["max_epochs"]), 30)
        ok = se >= 0
        ax.hist(se[ok], bins=bins, alpha=0.7, label=f"single attempt ({ok.sum()} solved, "
                f"{(~ok).sum()} not within {cfg['max_epochs']})")
        ax.hist(tot, bins=bins, histtype="step", lw=2, color="k",
                label="with restarts: total sweeps per seed")
        ax.axvline(K, color="tab:red", ls="--", label=f"restart cutoff K = {K}")
        ax.axvline(np.median(se[ok]), color="tab:blue", ls=":",
                   label=f"single-attempt median {np.median(se[ok]):.0f}")
        ax.set_xscale("log")
        ax.set_xlabel("sweeps to a strict solve (log)")
        ax.set_ylabel("seeds")
        ax.set_title(f"{name} ({cfg['loss']}, eta {cfg['lr']})", fontsize=10)
        ax.legend(fontsize=7)
    fig.suptitle("Sweeps to a strict 3-bit code: restarting at K turns the unsolved tail into "
                 "100/100", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def fig_restart_cost(run, path):
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for name, color in zip(enc.SETTINGS, ["tab:blue", "tab:orange"]):
        if name not in run["runs"]:
            continue
        se = run["runs"][name]["single"][1]["solve_epoch"]
        cap = run["runs"][name]["config"]["max_epochs"]
        Ks = np.unique(np.geomspace(100, cap, 200).astype(int))
        cost = [enc.expected_restart_cost(se, K) for K in Ks]
        K, c = enc.best_restart_cutoff(se, cap)
        ax.plot(Ks, cost, color=color, label=f"{name}: best K = {K}, {c:.0f} sweeps expected")
        ax.plot([K], [c], "o", color=color)
    ax.set_xscale("log"); ax.set_yscale("log")
    ax.set_xlabel("restart cutoff K (sweeps)")
    ax.set_ylabel("expected sweeps to a strict solve")
    ax.set_title("Choosing K from the single-attempt times:\nE[min(T, K)] / P(T <= K)",
                 fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def load_records():
    """{label: record}: the headline run record and, if present, the 900-seed one."""
    out = {}
    for label, rel in (("seeds 0-99", "results.json"), ("seeds 100-999", "runs/seeds100-999.json")):
        p = os.path.join(HERE, rel)
        if os.path.isfile(p):
            with open(p) as fh:
                out[label] = json.load(fh)
    return out


def stuck_stats(rec):
    """{setting: metrics['stuck']} of one run record."""
    m = rec["metrics"]
    out = {m["setting"]: m["stuck"]}
    out.update({n: v["stuck"] for n, v in m["variants"].items()})
    return out


def fig_stuck_pairs(run, path):
    recs = load_records()
    label = "seeds 100-999" if "seeds 100-999" in recs else "seeds 0-99"
    stats = stuck_stats(recs[label])
    names = list(stats)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.4))
    # 1. which pair: counts over the 28 pairs, both settings together
    counts = np.zeros((8, 8))
    pairs = [(i, j) for i in range(8) for j in range(i + 1, 8)]
    for st in stats.values():
        for (i, j), c in zip(pairs, st.get("pair_counts", [0] * 28)):
            counts[i, j] += c
            counts[j, i] += c
    np.fill_diagonal(counts, np.nan)                      # a pattern cannot pair with itself
    im = axes[0].imshow(counts, cmap="viridis", vmin=0)
    axes[0].set_xticks(range(8)); axes[0].set_yticks(range(8))
    axes[0].set_xlabel("pattern"); axes[0].set_ylabel("pattern")
    n_tot = sum(st["n_stuck_7_codes"] for st in stats.values())
    chi = ", ".join(f"{n} {st['pair_chi2']:.1f}" for n, st in stats.items())
    axes[0].set_title(f"Which pair shares ({n_tot} stuck runs, {label}): no favourite\n"
                      f"chi-square vs uniform: {chi} on 27 dof", fontsize=9)
    fig.colorbar(im, ax=axes[0], label="stuck runs")
    # 2. foretold by the initial weights? rank of the pair's initial similarity
    ranks = np.arange(1, 29)
    for n, color in zip(names, ["tab:blue", "tab:orange"]):
        c = np.array(stats[n]["init_similarity_rank_counts"], float)
        axes[1].step(ranks, c / c.sum(), where="mid", color=color,
                     label=f"{n}: mean rank {stats[n]['init_similarity_rank_mean']:.1f}")
    axes[1].axhline(1 / 28, color="k", ls=":", label="chance (mean rank 14.5)")
    axes[1].set_xlabel("rank of the stuck pair's initial weight similarity (1 = most similar of 28)")
    axes[1].set_ylabel("fraction of stuck runs")
    axes[1].set_title("Partly foretold: pairs that start alike stick together more often",
                      fontsize=9)
    axes[1].legend(fontsize=8)
    # 3. where on the cube
    x = np.arange(len(names))
    adj = [stats[n]["empty_corner_adjacent_frac"] for n in names]
    tow = [stats[n]["toward_empty_corner_frac"] for n in names]
    axes[2].bar(x - 0.2, adj, 0.4, color="tab:gray",
                label="unused corner is a neighbour of the shared one")
    axes[2].bar(x + 0.2, tow, 0.4, color="tab:red",
                label="pair member nearest 0.5 leans toward the unused corner")
    axes[2].hlines(3 / 7, -0.45, len(names) - 0.55, color="tab:gray", ls=":",
                   label="chance 3/7")
    axes[2].hlines(1 / 7, -0.45, len(names) - 0.55, color="tab:red", ls=":", label="chance 1/7")
    axes[2].set_xticks(x)
    axes[2].set_xticklabels([f"{n}\n({stats[n]['n_stuck_7_codes']} stuck runs)" for n in names])
    axes[2].set_ylim(0, 1)
    axes[2].set_ylabel("fraction of stuck runs")
    axes[2].set_title("Where: the empty corner is no closer than chance;\n"
                      "when it is adjacent, the pair leans toward it", fontsize=9)
    axes[2].legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main():
    run = enc.load_saved_run()
    os.makedirs(VIZ, exist_ok=True)
    for name, f in [("hidden_codes_cube", fig_cube), ("code_table", fig_code_table),
                    ("weights", fig_weights), ("training_curves", fig_curves),
                    ("epochs_histogram", fig_histogram), ("restart_cost", fig_restart_cost),
                    ("stuck_pairs", fig_stuck_pairs)]:
        path = os.path.join(VIZ, name + ".png")
        f(run, path)
        print(f"wrote {os.path.relpath(path)} ({os.path.getsize(path) // 1024} KB)")


if __name__ == "__main__":
    main()
