"""Static figures for levin-count-inputs -> levin-count-inputs/viz/*.png.

Loads the headline run saved by `python3 levin-count-inputs/levin_count_inputs.py`
(levin-count-inputs/.cache/) through saved_run(), which runs the searches once only
when no saved run exists. Found programs are re-executed with the stub's own
interpreter (trace_program) to draw their execution.

  python3 levin-count-inputs/visualize_levin_count_inputs.py
"""
from __future__ import annotations

import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import levin_count_inputs as lci  # noqa: E402

VIZ = os.path.join(HERE, "viz")
CTX = lci.PAPER["context"]


def load():
    return lci.saved_run(lci.make_config())


def fig_search_progress(cfg, model, path):
    """Programs run per phase, stacked by program length (tokens)."""
    phases = model["plain_phases"]
    ks = np.array([ph["phase"] for ph in phases])
    per = np.array([ph["per_len"] for ph in phases])              # (K, max_len + 1)
    lens = [L for L in range(per.shape[1]) if per[:, L].any()]
    cmap = plt.get_cmap("viridis")
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.4))
    bottom = np.zeros(len(ks))
    for i, L in enumerate(lens):
        a.bar(ks, per[:, L], bottom=bottom, color=cmap(i / max(1, len(lens) - 1)),
              label=f"{L} tokens", width=0.8)
        bottom += per[:, L]
    a.set_yscale("log")
    a.set_ylim(0.8, bottom.max() * 3)
    a.set_xlabel("phase k (every program with l <= k bits runs 2^(k - l) steps)")
    a.set_ylabel("programs run in the phase")
    a.legend(loc="upper left", fontsize=8, frameon=False, ncol=2)
    last = phases[-1]
    a.set_title(f"Plain search: first fit in phase {last['phase']}, among "
                f"{last['n_programs']:,} programs", fontsize=10)
    tout = np.array([ph.get("n_timeout", 0) for ph in phases])
    b.plot(ks, tout / np.maximum(bottom, 1), "o-", color="#c44e52",
           label="ran out of their budget 2^(k - l)")
    b.set_xlabel("phase k")
    b.set_ylabel("fraction of the phase's programs")
    b.set_ylim(0, 1)
    b.legend(loc="upper left", fontsize=9, frameon=False)
    b.set_title("the time budget binds: loops are cut off and retried with\ntwice the "
                "time in the next phase", fontsize=10)
    fig.suptitle(f"Levin search enumerates {sum(p['n_programs'] for p in phases):,} program runs "
                 f"in {len(phases)} phases before a program writes a counting net", fontsize=12)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def fig_distribution(cfg, model, path):
    p = model["prob"]
    r = np.sort(p["runs"][p["solved"]])
    pl = np.sort(model["plain_runs"])
    fig, ax = plt.subplots(figsize=(10, 4.4))
    ax.step(r, np.arange(1, len(r) + 1) / cfg.n_seeds, where="post", lw=2, color="#4c72b0",
            label=f"probabilistic search ({len(r)}/{cfg.n_seeds} solved), median {np.median(r):,.0f}")
    ax.step(pl, np.arange(1, len(pl) + 1) / len(pl), where="post", lw=2, color="#55a868",
            label=f"plain search, random order within a phase, median {np.median(pl):,.0f}")
    per_fit = CTX["task2_runs_total"] / CTX["task2_fits"]
    ax.axvline(per_fit, color="k", ls="--", lw=1.2,
               label=f"paper, task 2 (adding positions): {per_fit:.2g} runs per fit")
    ax.axvline(lci.EARLIER["metrics"]["programs_to_success"], color="gray", ls=":", lw=1.5,
               label=f"earlier catalog (popcount program): "
                     f"{lci.EARLIER['metrics']['programs_to_success']:,}")
    ax.set_xscale("log")
    ax.set_xlabel("program runs until the first program whose net fits the 3 examples")
    ax.set_ylabel("fraction of searches done")
    ax.set_ylim(0, 1.05)
    ax.legend(loc="upper left", fontsize=8.5, frameon=False)
    ax.set_title(f"Runs to the first fit over {cfg.n_seeds} reporting seeds (the paper's task-1 "
                 f"count is not in the text we reached)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def fig_trace(cfg, program, path, first=14):
    """The found program's execution: IP and opcode per step, weights written so far."""
    tr = lci.trace_program(program, cfg)
    ips = np.array([t[0] for t in tr[:-1]])
    ops = [t[1] for t in tr[:-1]]
    wp = np.array([t[3] for t in tr])
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.2), gridspec_kw={"width_ratios": [1.1, 1]})
    n = min(first, len(ips))
    a.plot(np.arange(n), ips[:n], "o-", color="#4c72b0")
    for t in range(n):
        a.annotate(lci.NAMES[ops[t]], (t, ips[t]), textcoords="offset points", xytext=(0, 7),
                   ha="center", fontsize=8)
    a.set_ylim(ips.min() - 1, ips.max() + 1.5)
    a.set_xlabel("time step")
    a.set_ylabel("instruction pointer (address)")
    a.set_title(f"first {n} of {len(ips)} steps: " + lci.program_text(program), fontsize=9)
    b.plot(np.arange(len(wp)), wp, color="#c44e52", lw=2)
    b.axhline(cfg.n_inputs, color="gray", ls=":", lw=1)
    b.set_xlabel("time step")
    b.set_ylabel("weights written (WP)")
    b.set_title(f"halts at step {len(ips)}: WriteWeight past weight {cfg.n_inputs} is "
                "impossible", fontsize=10)
    fig.suptitle(f"The program plain Levin search finds first: {len(program)} tokens, "
                 f"{len(ips)} steps, writes w_i = 1 for all {cfg.n_inputs} inputs", fontsize=12)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def fig_weights(cfg, model, ev, path):
    found = [f for f in model["prob"]["found"] if f is not None]
    W = np.stack([f["weights"] for f in found])
    gd = np.zeros(cfg.n_inputs)
    gd[lci.TRAIN_ON.ravel()] = 1                                   # where gradient descent ends
    fig, (a, b) = plt.subplots(2, 1, figsize=(11, 5.2), gridspec_kw={"height_ratios": [3, 1]},
                               sharex=True)
    im = a.imshow(W, cmap="RdBu_r", vmin=-2, vmax=2, aspect="auto", interpolation="nearest")
    a.set_ylabel("search (seed)")
    a.set_yticks(range(len(found)))
    a.set_yticklabels([str(s) for s, f in zip(model["seeds"], model["prob"]["found"])
                       if f is not None], fontsize=6)
    fig.colorbar(im, ax=[a, b], label="weight w_i", fraction=0.03)
    b.imshow(gd[None], cmap="RdBu_r", vmin=-2, vmax=2, aspect="auto", interpolation="nearest")
    b.set_yticks([0])
    b.set_yticklabels(["memorising\nnet"], fontsize=8)
    b.set_xlabel("input unit i")
    acc = (lci.net_output(gd[None].astype(int), lci.test_inputs(cfg.n_inputs, cfg.n_on,
                                                                   lci.TRAIN_ON)) == 3).mean()
    b.set_title(f"w_i = 1 on the 9 training on-bits only, 0 elsewhere: fits the 3 examples, exact "
                f"on {acc:.3%} of unseen inputs", fontsize=9)
    a.set_title(f"Weights written by the {len(found)} found programs: all w_i = 1, exact on "
                f"{ev['prob_test_exact'].mean():.0%} of the {ev['n_test']:,} unseen inputs",
                fontsize=11)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def main():
    os.makedirs(VIZ, exist_ok=True)
    cfg, model, history = load()
    ev = lci.evaluate(model, cfg)
    fig_search_progress(cfg, model, os.path.join(VIZ, "search_progress.png"))
    fig_distribution(cfg, model, os.path.join(VIZ, "runs_to_success.png"))
    first = model["plain_phases"][-1]["found"][0][0]
    fig_trace(cfg, first, os.path.join(VIZ, "program_trace.png"))
    fig_weights(cfg, model, ev, os.path.join(VIZ, "emitted_weights.png"))
    print(f"wrote {VIZ}/*.png")


if __name__ == "__main__":
    main()
