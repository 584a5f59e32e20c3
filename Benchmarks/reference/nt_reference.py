#!/usr/bin/env python3
"""Same-run comparison of ntkbridge with Neural Tangents (optional; not part of build or test).

`make bench` runs this after the Benchmarks executable when `import neural_tangents` works
(`make bench-reference-deps` installs the pinned versions). It times, alternating the two tools
so that both see the same machine load:

  FC    n = 4000 points, d = 100, depth 5 ReLU (NTK parameterization, sigma_w = sqrt 2,
        sigma_b = 0), NNGP + NTK, float64.
        Neural Tangents: `jax.jit(kernel_fn)(x, None, ('nngp', 'ntk'))`, best of REPEATS after
        one untimed warm-up call on the same shapes (the warm-up includes XLA compilation and
        is excluded), result blocked on.
        ntkbridge compute: `kernel --timing` (kernel_seconds, no I/O), the same two kernels.
        ntkbridge end to end: wall time of `kernel --x1 X.csv --format npy` (CSV in, the four
        .npy files nngp, ntk, head, body out), process start to exit.
  CNTK  400 images 21x21x1, three 3x3 SAME conv layers, ReLU, flatten readout, NNGP + NTK;
        ntkbridge's compute as above, and its end to end with CSV images in and four .npy out.

and prints each ntkbridge figure beside Neural Tangents' with the ratio, the 1-minute load
average at each measurement, and the largest relative difference between the two tools' NTKs
(a check that the same kernel was timed).

Usage: python3 Benchmarks/reference/nt_reference.py [--ntkbridge PATH] [--repeats R] [--skip-cntk]
"""

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # tf2jax's TensorFlow import is chatty


def load_average():
    return os.getloadavg()[0]


def timed(body):
    """(wall seconds, CPU seconds of this process's threads, result) of one call of body()."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = body()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_ntkbridge(executable, arguments):
    """Runs ntkbridge; returns (wall seconds, its CPU seconds, the kernel_seconds it printed or None)."""
    start, cpu = time.perf_counter(), children_cpu()
    completed = subprocess.run([executable] + arguments, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - start, children_cpu() - cpu
    if completed.returncode != 0:
        sys.exit("nt_reference: ntkbridge %s failed:\n%s" % (" ".join(arguments), completed.stderr))
    compute = None
    for line in completed.stdout.splitlines():
        if line.startswith("kernel_seconds: "):
            compute = float(line.split(": ")[1])
    return wall, cpu, compute


class Best:
    """The smallest wall and CPU times seen (each minimized separately)."""

    def __init__(self):
        self.wall, self.cpu = float("inf"), float("inf")

    def add(self, wall, cpu):
        self.wall, self.cpu = min(self.wall, wall), min(self.cpu, cpu)


def neural_tangents_kernel(layers):
    """jit-compiled kernel_fn of stax.serial(*layers) returning (nngp, ntk)."""
    import jax
    from neural_tangents import stax

    _, _, kernel_fn = stax.serial(*layers)
    jitted = jax.jit(kernel_fn, static_argnames="get")

    def compute(x):
        nngp, ntk = jitted(x, None, get=("nngp", "ntk"))
        nngp.block_until_ready()
        ntk.block_until_ready()
        return np.asarray(nngp), np.asarray(ntk)

    return compute


def relative_difference(ours, theirs):
    return float(np.max(np.abs(ours - theirs)) / np.max(np.abs(theirs)))


def write_csv(path, x):
    np.savetxt(path, x, delimiter=",", fmt="%.17g")


def fully_connected(executable, folder, repeats):
    from neural_tangents import stax

    n, d, depth = 4000, 100, 5
    x = np.random.default_rng(10).standard_normal((n, d))
    csv = os.path.join(folder, "x.csv")
    write_csv(csv, x)
    w = 2.0 ** 0.5
    layers = []
    for _ in range(depth):
        layers += [stax.Dense(1, W_std=w, b_std=0.0, parameterization="ntk"), stax.Relu()]
    layers.append(stax.Dense(1, W_std=w, b_std=0.0, parameterization="ntk"))
    nt_compute = neural_tangents_kernel(layers)
    nt_compute(x)  # warm-up: XLA compilation for these shapes (excluded)

    common = ["kernel", "--x1", csv, "--depth", str(depth), "--activation", "relu"]
    compute_args = common + ["--kernels", "nngp,ntk", "--timing"]
    e2e_args = common + ["--format", "npy", "--out", os.path.join(folder, "fc-e2e")]
    run_ntkbridge(executable, e2e_args)  # warm-up of the page cache and the binary
    theirs, compute, e2e, compute_cpu, loads = Best(), float("inf"), Best(), float("inf"), []
    for _ in range(repeats):  # alternate, so that both tools see the same load
        loads.append(load_average())
        wall, cpu, (nngp, ntk) = timed(lambda: nt_compute(x))
        theirs.add(wall, cpu)
        _, cpu, seconds = run_ntkbridge(executable, compute_args)
        compute, compute_cpu = min(compute, seconds), min(compute_cpu, cpu)
        e2e.add(*run_ntkbridge(executable, e2e_args)[:2])
    ours_ntk = np.load(os.path.join(folder, "fc-e2e", "ntk.npy"))
    ours_nngp = np.load(os.path.join(folder, "fc-e2e", "nngp.npy"))
    difference = max(relative_difference(ours_ntk, ntk), relative_difference(ours_nngp, nngp))
    print("FC kernel: n = %d, d = %d, depth %d ReLU, NNGP + NTK, float64 (1-min load average %s)"
          % (n, d, depth, " / ".join("%.1f" % l for l in loads)))
    print("  %-66s %9s %9s" % ("", "wall", "CPU"))
    print("  %-66s %6.0f ms %6.0f ms" % ("Neural Tangents 0.6.5, jit(kernel_fn), best of %d after a warm-up" % repeats,
                                        theirs.wall * 1e3, theirs.cpu * 1e3))
    print("  %-66s %6.0f ms %6.0f ms   NT/ours: wall %.1fx, CPU >= %.1fx (target >= 15x, goal 25x)"
          % ("ntkbridge compute (kernel --kernels nngp,ntk --timing; CPU: whole run)", compute * 1e3, compute_cpu * 1e3,
             theirs.wall / compute, theirs.cpu / compute_cpu))
    print("  %-66s %6.0f ms %6.0f ms   NT compute/ours: wall %.1fx, CPU %.1fx (target >= 2x, goal 4x)"
          % ("ntkbridge end to end: CSV in, nngp/ntk/head/body .npy out", e2e.wall * 1e3, e2e.cpu * 1e3,
             theirs.wall / e2e.wall, theirs.cpu / e2e.cpu))
    print("  largest relative difference of NNGP/NTK to Neural Tangents: %.1e" % difference)


def convolutional(executable, folder, repeats):
    from neural_tangents import stax

    n, side, depth = 400, 21, 3
    images = np.random.default_rng(11).standard_normal((n, side, side, 1))
    path = os.path.join(folder, "images.npy")
    np.save(path, images.reshape(n, side * side))
    w = 2.0 ** 0.5
    layers = []
    for _ in range(depth):
        layers += [stax.Conv(1, (3, 3), padding="SAME", W_std=w, b_std=0.0, parameterization="ntk"), stax.Relu()]
    layers += [stax.Flatten(), stax.Dense(1, W_std=w, b_std=0.0, parameterization="ntk")]
    nt_compute = neural_tangents_kernel(layers)
    nt_compute(images)  # warm-up: compilation (excluded)

    csv = os.path.join(folder, "images.csv")
    write_csv(csv, images.reshape(n, side * side))
    architecture = ["--depth", str(depth), "--activation", "relu", "--conv", "3x3", "--image", "%dx%dx1" % (side, side)]
    arguments = ["kernel", "--x1", path] + architecture + ["--kernels", "nngp,ntk", "--timing", "--format", "npy",
                                                           "--out", os.path.join(folder, "cntk")]
    e2e_args = ["kernel", "--x1", csv] + architecture + ["--format", "npy", "--out", os.path.join(folder, "cntk-e2e")]
    run_ntkbridge(executable, e2e_args)  # warm-up of the page cache and the binary
    theirs, ours, ours_cpu, e2e, loads = Best(), float("inf"), float("inf"), Best(), []
    for _ in range(repeats):
        loads.append(load_average())
        wall, cpu, (nngp, ntk) = timed(lambda: nt_compute(images))
        theirs.add(wall, cpu)
        _, cpu, seconds = run_ntkbridge(executable, arguments)
        ours, ours_cpu = min(ours, seconds), min(ours_cpu, cpu)
        e2e.add(*run_ntkbridge(executable, e2e_args)[:2])
    difference = relative_difference(np.load(os.path.join(folder, "cntk", "ntk.npy")), ntk)
    print("CNTK, flatten: %d images %dx%dx1, 3x3 SAME, depth %d ReLU, NNGP + NTK (1-min load average %s)"
          % (n, side, side, depth, " / ".join("%.1f" % l for l in loads)))
    print("  %-66s %6.0f ms %6.0f ms" % ("Neural Tangents 0.6.5, jit(kernel_fn), %d run(s) after a warm-up" % repeats,
                                        theirs.wall * 1e3, theirs.cpu * 1e3))
    print("  %-66s %6.0f ms %6.0f ms   NT/ours: wall %.1fx (goal >= 30x)"
          % ("ntkbridge compute (kernel --timing; CPU: whole run)", ours * 1e3, ours_cpu * 1e3, theirs.wall / ours))
    print("  %-66s %6.0f ms %6.0f ms   NT compute/ours: wall %.1fx (target >= 10x)"
          % ("ntkbridge end to end: CSV in, nngp/ntk/head/body .npy out", e2e.wall * 1e3, e2e.cpu * 1e3,
             theirs.wall / e2e.wall))
    print("  largest relative difference of the NTK to Neural Tangents: %.1e" % difference)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ntkbridge", default=".build/release/ntkbridge")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-cntk", action="store_true")
    options = parser.parse_args()
    # The TensorFlow under tf2jax logs to stderr before its logging is set up: silence the import.
    saved = os.dup(2)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            import jax
            import neural_tangents  # noqa: F401
        finally:
            os.dup2(saved, 2)
            os.close(saved)

    jax.config.update("jax_enable_x64", True)
    print("Neural Tangents against ntkbridge, same run (jax %s on %s, %d cores)"
          % (jax.__version__, jax.default_backend(), os.cpu_count()))
    with tempfile.TemporaryDirectory(prefix="ntkbridge-nt-") as folder:
        fully_connected(options.ntkbridge, folder, options.repeats)
        if not options.skip_cntk:
            convolutional(options.ntkbridge, folder, 2)  # NT takes 4–6 s per run here


if __name__ == "__main__":
    main()
