"""NumPy reference for `cargo xtask bench`: condition numbers of .npy matrices.

For each file (in the order given): load, then time kappa from the loaded f32 array, as
deepskip-spectra computes it: singular values in f64 (`numpy.linalg.svd(compute_uv=False)`,
LAPACK gesdd), numerical rank under numpy's matrix_rank tolerance
`max(rows, cols) * eps(float32) * sigma_max`, kappa = sigma_max / sigma_min, or inf when
rank-deficient. Prints one JSON line with the keys of `deepskip-bench condition`.
"""

import json
import resource
import sys
import time

import numpy as np


def kappa(a):
    s = np.linalg.svd(a.astype(np.float64), compute_uv=False)
    tol = max(a.shape) * np.finfo(a.dtype).eps * s.max()
    if np.count_nonzero(s > tol) < min(a.shape):
        return float("inf")
    return float(s.max() / s.min())


def main(files):
    kappas, seconds = [], []
    for path in files:
        a = np.load(path)
        start = time.perf_counter()
        k = kappa(a)
        seconds.append(time.perf_counter() - start)
        kappas.append(k if np.isfinite(k) else "inf")
    print(json.dumps({
        "side": "numpy",
        "numpy_version": np.__version__,
        "kappas": kappas,
        "seconds": seconds,
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }))


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: svd.py FILE.npy...")
    main(sys.argv[1:])
