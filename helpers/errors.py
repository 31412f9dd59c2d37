"""The one kind of error a reader can fix: Jupyter shows it as one line, without a traceback."""


class UserError(Exception):
    """Bad input or a missing file, with a message that names the value, what is allowed and what to do."""

    def _render_traceback_(self):
        # IPython calls this instead of printing the frames: a reader needs the message, not our stack
        return [f"{type(self).__name__}: {self}"]
