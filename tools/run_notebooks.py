"""Executes the lesson's notebooks on the Deno kernel and saves their outputs.

Runs each notebook with nbclient (Jupyter's own executor, from Debian's
python3-nbclient), in the notebook's folder, on a Deno kernel whose
environment has NO_COLOR=1 (so results carry no ANSI colour codes).

The Deno kernel (2.8.2 and later) sometimes publishes "idle" before a cell's
last output, and nbclient stops collecting at idle, so that output would be
lost. After each cell, this runner sends an empty, silent request (a fence)
and keeps collecting the cell's outputs until the fence is done: the kernel
publishes in order, so everything the cell sent arrives before the fence's
idle. It then checks that every code cell has an output (cells tagged
"no-output" excepted) and that no output carries an ANSI escape code.

    python3 tools/run_notebooks.py --deno PATH [--check] NOTEBOOK...

Without --check, each notebook is saved in place with its new outputs. With
--check, nothing is written: the new outputs are compared with the saved
ones (durations masked; cells tagged "varies" compared by output type only)
and any difference fails the run.
"""

import argparse
import asyncio
import json
import os
import re
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbclient.util import ensure_async

OUTPUT_TYPES = {"stream", "display_data", "execute_result", "error",
                "update_display_data", "clear_output"}
ANSI = re.compile(r"\x1b\[")
# "12 ms", "1.5 s", "0.12s": durations, which legitimately differ between runs.
DURATION = re.compile(r"\b\d+(?:\.\d+)?\s?(?:ms|s)\b")
COMPARED_MIME = ("text/plain", "text/html", "text/markdown",
                 "application/vnd.plotly.v1+json")


class FencedClient(NotebookClient):
    """An nbclient that waits for each cell's late outputs (see above)."""

    late_outputs = 0

    async def async_execute_cell(self, cell, cell_index, execution_count=None,
                                 store_history=True):
        cell = await super().async_execute_cell(
            cell, cell_index, execution_count, store_history)
        if cell.cell_type == "code" and cell.source.strip():
            await self._collect_late_outputs(cell, cell_index)
        return cell

    async def _collect_late_outputs(self, cell, cell_index):
        fence = self.kc.execute("", silent=True, store_history=False)
        while True:
            msg = await ensure_async(
                self.kc.iopub_channel.get_msg(timeout=self.iopub_timeout or 60))
            if msg["parent_header"].get("msg_id") == fence:
                if (msg["msg_type"] == "status"
                        and msg["content"]["execution_state"] == "idle"):
                    return
            elif msg["msg_type"] in OUTPUT_TYPES:
                self.late_outputs += 1
                self.process_message(msg, cell, cell_index)


def kernel_dir(deno):
    """A Jupyter data folder holding a "deno" kernel with NO_COLOR=1."""
    root = tempfile.mkdtemp(prefix="deno-kernel-")
    spec_dir = os.path.join(root, "kernels", "deno")
    os.makedirs(spec_dir)
    with open(os.path.join(spec_dir, "kernel.json"), "w") as f:
        json.dump({
            "argv": [deno, "jupyter", "--kernel", "--conn", "{connection_file}"],
            "display_name": "Deno",
            "language": "typescript",
            "env": {"NO_COLOR": "1"},
        }, f)
    return root


def problems_in(nb):
    """Cells missing their output, and outputs with ANSI codes."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.get("tags", [])
        if not cell.outputs and "no-output" not in tags:
            found.append(f"cell {i} has no output (tag it no-output if that is meant)")
        if ANSI.search(json.dumps(cell.outputs)):
            found.append(f"cell {i} has ANSI colour codes in its output")
    return found


def comparable(cell):
    """A cell's outputs, reduced to what must not change between runs."""
    if "varies" in cell.metadata.get("tags", []):
        return [out["output_type"] for out in cell.outputs]
    reduced = []
    for out in cell.outputs:
        if out["output_type"] == "stream":
            reduced.append(("stream", DURATION.sub("<t>", out["text"])))
        elif out["output_type"] in ("display_data", "execute_result"):
            data = out.get("data", {})
            reduced.append((out["output_type"], {
                mime: DURATION.sub("<t>", json.dumps(data[mime], sort_keys=True))
                for mime in COMPARED_MIME if mime in data
            }, sorted(data)))
        else:
            reduced.append((out["output_type"],))
    return reduced


def differences(saved, fresh):
    if len(saved.cells) != len(fresh.cells):
        return ["the number of cells differs"]
    found = []
    for i, (a, b) in enumerate(zip(saved.cells, fresh.cells)):
        if a.cell_type == "code" and comparable(a) != comparable(b):
            found.append(f"cell {i} printed something else than its saved output:\n"
                         f"  saved: {str(comparable(a))[:600]}\n"
                         f"  now:   {str(comparable(b))[:600]}")
    return found


def run(path, deno_kernels, timeout):
    nb = nbformat.read(path, as_version=4)
    client = FencedClient(
        nb, timeout=timeout, kernel_name="deno", record_timing=False,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}})
    os.environ["JUPYTER_PATH"] = deno_kernels
    client.execute()
    return nb, client.late_outputs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deno", required=True, help="the deno binary")
    parser.add_argument("--check", action="store_true",
                        help="compare with the saved outputs instead of saving")
    parser.add_argument("--timeout", type=int, default=600,
                        help="seconds one cell may take")
    parser.add_argument("notebooks", nargs="+")
    args = parser.parse_args()

    kernels = kernel_dir(args.deno)
    failed = []
    start = time.monotonic()
    for path in args.notebooks:
        began = time.monotonic()
        try:
            nb, late = run(path, kernels, args.timeout)
        except CellExecutionError as error:
            print(f"FAILED {path}: a cell raised an error\n{error}", flush=True)
            failed.append(path)
            continue
        found = problems_in(nb)
        if args.check and not found:
            found = differences(nbformat.read(path, as_version=4), nb)
        seconds = time.monotonic() - began
        if found:
            failed.append(path)
            print(f"FAILED {path} ({seconds:.1f} s):", *found, sep="\n  ", flush=True)
            continue
        if not args.check:
            nbformat.write(nb, path)
        verb = "matches its saved outputs" if args.check else "saved"
        print(f"ok {path}: {verb} ({seconds:.1f} s; {late} late outputs caught)",
              flush=True)
    total = time.monotonic() - start
    print(f"notebooks: {len(args.notebooks) - len(failed)} passed, "
          f"{len(failed)} failed")
    print(f"wall time of all notebooks: {total:.1f} s")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
