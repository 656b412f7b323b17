"""Executes notebooks on the Deno kernel with nbclient; tools/notebooks.ts drives it.

Runs each notebook with nbclient (Jupyter's own executor, from Debian's
python3-nbclient), in the notebook's folder, on the kernel named
"deno-mnist-basics" found through JUPYTER_PATH (tools/notebooks.ts writes that
kernelspec; the notebooks' metadata names it too), and writes
the executed notebook to OUT_DIR under the same name. It judges nothing: the
checks and the comparison with the saved outputs are in tools/notebooks.ts,
shared with the live-client run.

Two faults of the Deno kernel are handled here, because only an nbclient
subclass can see them:
- Deno 2.8.2 and later sometimes publish "idle" before a cell's last output,
  and nbclient stops collecting at idle, so that output would be lost. After
  each cell this runner sends an empty, silent request (a fence) and keeps
  collecting the cell's outputs until the fence's idle: the kernel publishes
  in order, so everything the cell sent arrives before it.
- Deno 2.8.1 and earlier send `transient: null` with a cell's value, on which
  nbclient 0.7 crashes ('NoneType' object has no attribute 'get'); it is
  replaced by an empty object before nbclient reads it.

    python3 tools/run_notebooks.py --out-dir DIR [--timeout S] NOTEBOOK...

Prints one line per notebook ("ran PATH (S s; N late outputs caught)" or
"FAILED PATH" with the error) and exits 1 if any notebook failed.
"""

import argparse
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbclient.util import ensure_async

OUTPUT_TYPES = {"stream", "display_data", "execute_result", "error",
                "update_display_data", "clear_output"}


class FencedClient(NotebookClient):
    """An nbclient that waits for each cell's late outputs (see above)."""

    late_outputs = 0

    def process_message(self, msg, cell, cell_index):
        content = msg.get("content", {})
        if "transient" in content and content["transient"] is None:
            content["transient"] = {}
        return super().process_message(msg, cell, cell_index)

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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out-dir", required=True,
                        help="where the executed notebooks are written")
    parser.add_argument("--timeout", type=int, default=600,
                        help="seconds one cell may take")
    parser.add_argument("notebooks", nargs="+")
    args = parser.parse_args()

    failed = 0
    for path in args.notebooks:
        began = time.monotonic()
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as error:  # JSON, nbformat's schema, the file
            reason = str(error).strip().splitlines()[0] if str(error).strip() \
                else type(error).__name__
            print(f"FAILED {path}: it is not a readable notebook "
                  f"({type(error).__name__}: {reason}). Fix its JSON (look for "
                  "merge conflict markers), or restore it with "
                  f"`git checkout -- {path}`.", flush=True)
            failed += 1
            continue
        client = FencedClient(
            nb, timeout=args.timeout, kernel_name="deno-mnist-basics",
            record_timing=False,
            resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}})
        try:
            client.execute()
        except CellExecutionError as error:
            print(f"FAILED {path}: a cell raised an error\n{error}", flush=True)
            failed += 1
            continue
        nbformat.write(nb, os.path.join(args.out_dir, os.path.basename(path)))
        print(f"ran {path} ({time.monotonic() - began:.1f} s; "
              f"{client.late_outputs} late outputs caught)", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
