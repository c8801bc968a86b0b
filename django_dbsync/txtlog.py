"""--txt-log FILE: the command's terminal output, also saved to a text file.

As in django-dbsync 1.x, a bare file name goes into REPORT_OUTPUT_DIR and a
path with a directory is used as given. The file gets what the terminal got,
stdout and stderr in the order written, without colour codes, and with a line
redrawn in place (a progress bar) saved only as it last stood. Nothing is
added: the output never holds a password (the engine names databases without
it), so neither does the file. The file is created 0600.
"""

import contextlib
import os
import re

# CSI sequences: colours (ESC [ ... m) and the erase-line of the progress bars.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def log_path(name, report_dir):
    if os.path.dirname(name):
        return name
    return os.path.join(report_dir, name)


class _Sink:
    """Lines as a terminal would finally show them, written to the file."""

    def __init__(self, file):
        self.file = file
        self.pending = ""

    def write(self, text):
        text = self.pending + _ANSI.sub("", text)
        *lines, self.pending = text.split("\n")
        for line in lines:
            self.file.write(line.rsplit("\r", 1)[-1] + "\n")
        self.file.flush()

    def close(self):
        rest = self.pending.rsplit("\r", 1)[-1]
        if rest:
            self.file.write(rest + "\n")
        self.pending = ""


class _Tee:
    """A stream that writes to the terminal's stream and to the sink."""

    def __init__(self, stream, sink):
        self._stream = stream
        self._sink = sink

    def write(self, text):
        self._sink.write(text)
        return self._stream.write(text)

    def flush(self):
        self._stream.flush()

    def isatty(self):
        return self._stream.isatty()

    def __getattr__(self, name):  # encoding and the like, as the real stream has them
        return getattr(self._stream, name)


@contextlib.contextmanager
def teed(command, path):
    """While open, command.stdout and command.stderr (Django OutputWrappers) also
    write to `path`; yields a callable that writes one more line to the file only."""
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "w", encoding="utf-8") as file:
        sink = _Sink(file)
        wrappers = (command.stdout, command.stderr)
        saved = [w._out for w in wrappers]
        for wrapper in wrappers:
            wrapper._out = _Tee(wrapper._out, sink)
        try:
            yield lambda line: sink.write(line + "\n")
        finally:
            for wrapper, out in zip(wrappers, saved):
                wrapper._out = out
            sink.close()
