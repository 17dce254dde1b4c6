"""The one exception type that means "the user gave us bad input".

The CLI prints it as a single line (file, line, what is wrong) and exits non-zero, without a
traceback; everything else is a bug and keeps its traceback.
"""


class UserError(Exception):
    """Bad input: a message that names the file (and line, where there is one)."""
