"""Started by scripts/evcxr-kernel beside a notebook's kernel: warms the kernel up without holding it.

evcxr types each cell's variables with the rust-analyzer it runs in-process. After `:dep parlab` it
loads the name tables of parlab's whole crate graph, and the first `let` then indexes every crate's
impls: about 12 s of CPU in all, whatever the cells hold. This sends the notebooks' prelude and a
`let` as soon as the kernel has answered the notebook's kernel_info, so that work overlaps the
learner reading the notebook's opening cells; their cells queue behind it if they are quicker.

Not before that answer: evcxr's shell loop waits for each execution to finish, so a request sent
earlier would hold the kernel's "ready" back by the whole warm-up (as it did when the warm-up was
part of evcxr's own start-up files).

Usage: kernel-warm-up.py CONNECTION_FILE
"""

import os
import queue
import sys
import time

from jupyter_client import BlockingKernelClient

# The notebooks' own `:dep` line: another spelling of the path is another Cargo.toml, which makes
# evcxr reload the crate graph and cargo rebuild parlab.
WARM_UP = ':dep parlab = { path = "../crates/parlab" }\nuse parlab::prelude::*;\nlet parlab_warm_up: u8 = 0;'
# Kernel start-up (evcxr's own first build) plus the warm-up itself, on a busy machine.
PATIENCE_SECS = 900


def main(connection_file):
    # scripts/evcxr-kernel started this and then became the kernel: a new parent means it is gone.
    kernel = os.getppid()
    client = BlockingKernelClient(connection_file=connection_file)
    client.load_connection_file()
    client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
    deadline = time.monotonic() + PATIENCE_SECS

    def reply_to(msg_id):
        while time.monotonic() < deadline and os.getppid() == kernel:
            try:
                reply = client.get_shell_msg(timeout=1)
            except queue.Empty:
                continue
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply
        return None

    try:
        # Our kernel_info is answered once evcxr has started, after the notebook's, which the
        # notebook sent as it connected: so the notebook already has its answer when ours comes.
        if reply_to(client.kernel_info()) is None:
            return 1
        # Stay until the reply, so the kernel never answers a closed socket mid-warm-up.
        reply = reply_to(client.execute(WARM_UP, silent=True, store_history=False, allow_stdin=False))
        return 0 if reply is not None and reply["content"].get("status") == "ok" else 1
    finally:
        client.stop_channels()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
